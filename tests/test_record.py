"""`manage.py privacy_record`: the record of processing activities as Markdown and JSON."""

import json
from io import StringIO

from django.core.management import call_command

from privacy.registry import registry


def run(*args) -> str:
    out = StringIO()
    call_command("privacy_record", *args, stdout=out)
    return out.getvalue()


def test_markdown_lists_every_activity_with_its_legal_basis():
    text = run()
    assert text.startswith("#")
    for activity in registry.activities.values():
        assert str(activity.name) in text
    assert "Art. 6 Abs. 1 lit. f DSGVO" in text
    assert "OPTIGEM GmbH" in text


def test_json_is_complete_and_machine_readable():
    record = json.loads(run("--format", "json"))
    assert record["registry_hash"] == registry.content_hash()
    keys = {a["key"] for a in record["activities"]}
    assert keys == set(registry.activities)
    website = next(a for a in record["activities"] if a["key"] == "website")
    for field in ("purpose", "legal_basis", "data_categories", "origin", "recipients", "retention"):
        assert website[field]
    assert {c["name"] for c in record["cookies"]} >= {"csrftoken", "sessionid"}
