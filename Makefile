# Two commands do all set-up: `make run` (demo site on embedded defaults) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
# manage.py, Celery and WSGI default to production settings; the make targets are the demo.
export DJANGO_SETTINGS_MODULE ?= optigem_site.settings.dev

.PHONY: run test install lint check messages clean

$(STAMP): requirements.lock
	@python=$${PYTHON:-$$(scripts/find-python)} || exit 1; \
	echo "Using $$python ($$($$python --version))"; \
	[ -x $(PY) ] || $$python -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

run: install
	mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) demo_setup
	scripts/run-demo

test: install
	DJANGO_SETTINGS_MODULE=optigem_site.settings.test $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: install
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

# Each feature app keeps its own English catalogue; privacy/, templates/ and optigem_site/
# share locale/ (makemessages cannot run inside privacy/, whose privacy.py shadows the package).
APPS := contact consent newsletter dsar
messages: install
	for app in $(APPS); do (cd $$app && ../$(PY) ../manage.py makemessages -l en --no-obsolete) || exit 1; done
	$(MANAGE) makemessages -l en --no-obsolete --ignore=.venv --ignore=var --ignore=tests \
		$(foreach app,$(APPS),--ignore=$(app) )
	$(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
