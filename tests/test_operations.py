"""Logging without IP addresses, gunicorn's access log, production security, the Python finder."""

import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port, unavailable
from privacy.logfilters import REDACTED, RedactIPAddresses

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def production_env() -> dict[str, str]:
    """A complete production environment on the local PostgreSQL and Redis, keys generated."""
    from cryptography.fernet import Fernet

    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return {
        "DJANGO_SETTINGS_MODULE": "optigem_site.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "www.optigem.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        "REDIS_URL": redis,
        "CACHE_URL": redis.replace("redis://", "rediscache://", 1),
        "EMAIL_URL": "smtp+tls://site:mail-password@127.0.0.1:587",
        "SITE_URL": "https://www.optigem.com",
        "ADDRESS_HASH_KEY": secrets.token_urlsafe(48),
        "CLOUD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "CONTROLLER_MANAGING_DIRECTORS": "Erika Mustermann",
        "CONTROLLER_REGISTER_COURT": "Amtsgericht Dortmund",
        "CONTROLLER_REGISTER_NUMBER": "HRB 12345",
        "CONTROLLER_VAT_ID": "DE123456789",
    }


def subprocess_env(**values: str) -> dict[str, str]:
    """This process's environment without what the test session itself added, plus ``values``."""
    env = {**os.environ, **values}
    # The browser fixture allows async-unsafe ORM use in this process; a child must not inherit it.
    for name in ("PYTHONPATH", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    return env


@pytest.mark.parametrize(
    "address", ["203.0.113.7", "2001:db8::1", "fe80:0:0:0:202:b3ff:fe1e:8329", "::1"]
)
def test_filter_masks_addresses_in_messages_and_arguments(address):
    record = logging.LogRecord("x", logging.INFO, "", 0, "from %s: %s", (address, "ok"), None)
    assert RedactIPAddresses().filter(record)
    assert address not in record.getMessage()
    assert REDACTED in record.getMessage()


def test_filter_leaves_versions_and_times_alone():
    record = logging.LogRecord("x", logging.INFO, "", 0, "Django 6.1.3 at 12:30:01", (), None)
    RedactIPAddresses().filter(record)
    assert record.getMessage() == "Django 6.1.3 at 12:30:01"


def test_django_request_log_carries_no_address(client, db, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/gibt-es-nicht/", REMOTE_ADDR="198.51.100.23")
    logger = logging.getLogger("django.request")
    handler_filters = [f for h in logging.getLogger("django").handlers for f in h.filters]
    assert any(isinstance(f, RedactIPAddresses) for f in handler_filters) or logger.filters
    assert "198.51.100.23" not in caplog.text


def _wait_for(url: str, timeout: float = 20.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_gunicorn_access_log_has_no_client_address(tmp_path):
    port = free_port()
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="optigem_site.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            body = _wait_for(f"http://127.0.0.1:{port}/impressum/")
            assert b"Impressum" in body
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    text = log.read_text()
    assert '"GET /impressum/ HTTP/1.1" 200' in text
    assert "127.0.0.1" not in text


def test_production_settings_pass_check_deploy_and_send_security_headers(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        unavailable("needs DATABASE_URL pointing to PostgreSQL")
    env = subprocess_env(**production_env(), STATIC_ROOT=str(tmp_path / "static"))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    probe = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='www.optigem.com').get('/impressum/', secure=True);"
        "print(json.dumps({'status': r.status_code, 'headers': dict(r.headers),"
        " 'cookies': {k: dict(v) for k, v in r.cookies.items()}}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    headers = result["headers"]
    assert result["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "upgrade-insecure-requests" in headers["Content-Security-Policy"]
    insecure = subprocess.run(
        [sys.executable, "-c", probe.replace("secure=True", "secure=False")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert json.loads(insecure.stdout.strip().splitlines()[-1])["status"] == 301


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "DATABASE_URL",
        "CACHE_URL",
        "EMAIL_URL",
        "SITE_URL",
        "ADDRESS_HASH_KEY",
        "CLOUD_ENCRYPTION_KEY",
        "CONTROLLER_MANAGING_DIRECTORS",
        "CONTROLLER_REGISTER_COURT",
        "CONTROLLER_REGISTER_NUMBER",
        "CONTROLLER_VAT_ID",
        "REDIS_URL",
    ],
)
def test_production_settings_refuse_to_start_without_a_required_variable(missing):
    env = subprocess_env(**{**production_env(), "DATABASE_URL": "postgres://u@127.0.0.1/db"})
    env.pop(missing)
    env.pop("CELERY_BROKER_URL", None)
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr
    assert f"Set the {missing} " in run.stderr or f"Set the {missing} or" in run.stderr


def test_manage_py_celery_and_wsgi_share_one_default_settings_module():
    for source in (
        "manage.py",
        "optigem_site/celery.py",
        "optigem_site/wsgi.py",
        "optigem_site/asgi.py",
    ):
        text = (ROOT / source).read_text()
        assert '"DJANGO_SETTINGS_MODULE", "optigem_site.settings.production"' in text, source
    env = subprocess_env()
    for name in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY"):
        env.pop(name, None)
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "Set the SECRET_KEY environment variable" in run.stderr


def test_find_python_finds_a_312_or_newer():
    found = subprocess.run(
        [str(ROOT / "scripts/find-python")], capture_output=True, text=True, check=True
    ).stdout.strip()
    version = subprocess.run(
        [found, "-c", "import sys; print(sys.version_info >= (3, 12))"],
        capture_output=True,
        text=True,
    )
    assert version.stdout.strip() == "True"


def test_find_python_says_clearly_when_there_is_none(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    old = bin_dir / "python3"
    old.write_text('#!/bin/sh\necho "Python 3.11.7"; exit 1\n')
    old.chmod(0o755)
    for tool in ("sh", "ls", "sort", "dirname"):
        if path := shutil.which(tool):
            (bin_dir / tool).symlink_to(path)
    run = subprocess.run(
        ["/bin/sh", str(ROOT / "scripts/find-python")],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "pyenv")},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "No Python 3.12 or newer found" in run.stderr
