"""The Art. 15 letter as a citizen reads it: labels, no check values, each record a list."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from dsar.discovery import field_label, is_technical
from dsar.tests.factories import ADDRESS, make_request, make_staff
from newsletter import delivery
from newsletter.models import Delivery, Mailing, Subscriber
from newsletter.tests import factories
from privacy.registry import registry

pytestmark = pytest.mark.django_db


def test_every_field_the_letter_prints_has_a_label_not_a_field_name():
    for holder in registry.holders.values():
        model = holder.get_model()
        for name in holder.export_fields:
            if not is_technical(name):
                label = field_label(model, name)
                assert label != name and "_" not in label, (holder.model, name)


def _letter(client) -> tuple[str, Subscriber, Delivery]:
    subscriber = factories.subscriber(ADDRESS, name="Erika Mustermann")
    mailing = factories.mailing(subject="Neues aus dem Quartal")
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    delivery.deliveries_create(mailing_id=mailing.pk)
    Delivery.objects.update(status="sent", sent_at=timezone.now())
    request = make_request()
    client.force_login(make_staff("dpo"))
    letter = client.post(f"/admin/dsar/subjectrequest/{request.pk}/export.html").text
    return letter, subscriber, Delivery.objects.get()


def test_letter_has_labels_lists_and_no_hashes_codes_or_message_ids(client):
    letter, subscriber, row = _letter(client)
    body = letter.split("<main>", 1)[1]
    assert "mailing_subject" not in body and "Betreff des Mailings" in body
    assert "Neues aus dem Quartal" in body
    records = "".join(part.split("</div>", 1)[0] for part in body.split('<div class="record">')[1:])
    assert "Neues aus dem Quartal" in records
    for value in (subscriber.address_hash, subscriber.consent_hash, row.message_id):
        assert value not in body
    assert "newsletter-page" not in records  # the internal name of the sign-up form
    for technical in ("Message-ID", "SHA-256", "Hash", "Schlüssel"):
        assert technical not in records
    assert "<table" not in letter
    # One record is a list of label and value.
    record = body.split('<div class="record">', 2)[1]
    assert re.search(r"<dt>Status</dt><dd>angemeldet</dd>", record)
    # Address and name are named once, not in every record.
    assert body.count("Erika.Mustermann@Example.org") + body.count(ADDRESS.lower()) == 1
    assert letter.count("Erika Mustermann") == 1
    # Recipients, third countries and automated decisions are stated.
    assert (
        "<dt>Empfänger</dt>" in body
        and "Dienstleister in Deutschland (Auftragsverarbeiter)" in body
    )
    assert body.count("<dt>Übermittlung in Drittländer</dt>") == body.count('class="activity"')
    assert "keine; die Daten bleiben in der Europäischen Union" in body
    assert "Automatisierte Entscheidungen und Profiling" in body and "Art. 22 DSGVO" in body
    # Dates read the German way.
    assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr", body)


def test_letter_prints_on_a4(client):
    letter, _subscriber, _row = _letter(client)
    assert re.search(r'href="/static/dsar/answer\.css"', letter)
    text = Path(finders.find("dsar/answer.css")).read_text(encoding="utf-8")
    assert "@page { size: A4" in text and "@media print" in text
