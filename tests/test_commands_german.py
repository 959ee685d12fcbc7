"""Management commands speak German to a German operator (LANGUAGE_CODE), English on request."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command, load_command_class
from django.utils import translation

from tests.test_admin_german import ENGLISH

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "dsar_leakcheck": "dsar",
    "policy_publish": "privacy",
    "privacy_record": "privacy",
    "run_deletion": "privacy",
}
# The commands' own wording in English, before it was translated.
OLD_ENGLISH = ("Search every", "Publish a new", "Print the record", "Runs every", "Only report")


def _own_help(name: str) -> str:
    """The command's description and its own arguments' help (not Django's common options)."""
    command = load_command_class(COMMANDS[name], name)
    parser = command.create_parser("manage.py", name)
    own = [a.help for a in parser._actions if a.dest not in _COMMON and a.help]
    return " ".join([str(command.help), *map(str, own)])


_COMMON = {
    "help",
    "version",
    "verbosity",
    "settings",
    "pythonpath",
    "traceback",
    "no_color",
    "force_color",
    "skip_checks",
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_is_german(name):
    with translation.override("de"):
        text = _own_help(name)
    assert not ENGLISH.findall(text) and not any(words in text for words in OLD_ENGLISH)


def test_help_is_english_for_an_english_operator():
    with translation.override("en"):
        assert "Runs every retention rule" in _own_help("run_deletion")


def test_a_command_run_by_an_operator_uses_the_configured_language():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "optigem_site.settings.test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "help", "run_deletion"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Führt jede Löschregel" in result.stdout and "nichts ändern" in result.stdout


@pytest.mark.django_db
def test_leakcheck_reports_in_german(capsys):
    call_command("dsar_leakcheck", "niemand@example.org")
    assert capsys.readouterr().out.strip() == "Keine Fundstellen."
