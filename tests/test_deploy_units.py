"""deploy/: the systemd units for web, worker and beat are complete and verify."""

import configparser
import importlib.util
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "deploy").glob("*.service"))
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
}
APP_ROOT = "/srv/optigem"


def service(unit: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep keys' case
    parser.read(unit)
    return parser["Service"]


def test_there_is_a_unit_for_web_worker_and_beat():
    assert [u.name for u in UNITS] == [
        "optigem-beat.service",
        "optigem-web.service",
        "optigem-worker.service",
    ]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_unit_restarts_runs_as_its_user_and_is_hardened(unit):
    section = service(unit)
    assert section["Restart"] == "always"
    assert section["User"] == "optigem" and section["Group"] == "optigem"
    assert section["EnvironmentFile"] == "/etc/optigem/optigem.env"
    assert section["Environment"] == "DJANGO_SETTINGS_MODULE=optigem_site.settings.production"
    for key, value in HARDENING.items():
        assert section[key] == value, key
    for path in section["ReadWritePaths"].split():
        assert path.startswith(f"{APP_ROOT}/var/"), path


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_exec_start_names_what_exists_in_the_checkout(unit):
    command = shlex.split(service(unit)["ExecStart"])
    program = Path(command[0].replace(APP_ROOT, str(ROOT)))
    assert program.name in {"gunicorn", "celery"}
    assert (ROOT / ".venv/bin" / program.name).exists()
    if program.name == "gunicorn":
        config = Path(command[command.index("--config") + 1].replace(APP_ROOT, str(ROOT)))
        assert config.is_file()
        assert 'wsgi_app = "optigem_site.wsgi:application"' in config.read_text()
        assert importlib.util.find_spec("optigem_site.wsgi")
    else:
        assert command[command.index("--app") + 1] == "optigem_site"
        assert importlib.util.find_spec("optigem_site.celery")
        assert command[3] in {"worker", "beat"}


def test_systemd_analyze_verifies_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed; the tests above parse the units")
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace(APP_ROOT, str(ROOT)))
    run = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "optigem" not in run.stderr, run.stderr
