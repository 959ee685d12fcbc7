import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from newsletter import suppression
from newsletter.imports import customers_import
from newsletter.models import Customer
from newsletter.tests import factories
from privacy.roles import sync_group_permissions

pytestmark = pytest.mark.django_db

CSV = """Name;E-Mail;Organisation;Beziehung;Quelle;Einwilligung am;Nachweis
Anna Alt;anna@example.org;Verein A;Kunde;Messe;;
Bernd;kein-at-zeichen;Verein B;Kunde;Messe;;
Carla;carla@example.org;Verein C;Lieferant;Messe;;
Gesperrt;blocked@example.org;Verein D;Interessent;Messe;15.09.2026;Formular am Stand
Anna doppelt;ANNA@example.org;Verein A;Kunde;Messe;;
Dora;dora@example.org;;Interessent;;2026-10-01;Anruf, Rückruf erbeten
Emil;emil@example.org;;Interessent;Messe;;
Frida;frida@example.org;;Interessent;Messe;31.02.2026;Formular
"""


def test_every_line_is_imported_or_reported_with_its_number():
    suppression.suppress(
        "blocked@example.org", scope="customer", reason="opt-out", channel="letter"
    )
    report = customers_import(CSV.encode("cp1252"), default_source="Import Nov.")
    assert (report.created, report.updated) == (2, 0)
    assert {(r.line, r.values["email"]) for r in report.rejected} == {
        (3, "kein-at-zeichen"), (4, "carla@example.org"), (5, "blocked@example.org"), (6, "anna@example.org"),
        (8, "emil@example.org"), (9, "frida@example.org"),
    }  # fmt: skip
    reasons = {r.line: r.reason for r in report.rejected}
    assert "keine gültige E-Mail-Adresse" in reasons[3]
    assert "Lieferant" in reasons[4]
    assert "E-Mail-Sperre" in reasons[5]
    assert "schon in der Datei" in reasons[6]
    assert "Interessent ohne Einwilligung" in reasons[8]
    assert "kein Datum der Einwilligung" in reasons[9]
    dora = Customer.objects.get(email="dora@example.org")
    assert dora.source == "Import Nov."
    assert (dora.consent_on.isoformat(), dora.consent_evidence) == (
        "2026-10-01",
        "Anruf, Rückruf erbeten",
    )
    assert Customer.objects.get(email="anna@example.org").relationship == "customer"
    rejected = report.rejected_csv().splitlines()
    header = "name;email;organisation;relationship;source;consent_on;consent_evidence;fehler"
    assert rejected[0] == header and len(rejected) == 7
    assert not suppression.is_suppressed("anna@example.org", "customer")


def test_reimport_updates_without_blanking():
    factories.customer("anna@example.org", name="Anna Alt", organisation="Verein A")
    report = customers_import(
        b"email,name,organisation\nanna@example.org,,Neuer Verein\n", default_source="x"
    )
    assert (report.created, report.updated, report.rejected) == (0, 1, [])
    anna = Customer.objects.get()
    assert (anna.name, anna.organisation) == ("Anna Alt", "Neuer Verein")


def test_a_prospect_already_holding_consent_may_be_reimported_without_it():
    factories.customer("paula@example.org", relationship="prospect")
    report = customers_import(
        b"email;beziehung;quelle\npaula@example.org;Interessent;Messe\n", default_source="x"
    )
    assert (report.created, report.updated, report.rejected) == (0, 1, [])
    assert Customer.objects.get().consent_evidence == "Test"


def test_a_consent_date_in_the_future_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    header = "email;beziehung;quelle;consent_on;consent_evidence"
    report = customers_import(f"{header}\nz@example.org;Interessent;M;{tomorrow};F\n".encode())
    assert [r.reason for r in report.rejected] == [
        "Das Datum der Einwilligung liegt in der Zukunft."
    ]


def test_file_without_email_column_is_refused_clearly():
    report = customers_import(b"name;firma\nA;B\n")
    assert "keine Spalte" in report.error and not Customer.objects.exists()


def test_import_and_written_block_in_the_admin(client):
    sync_group_permissions()
    user = User.objects.create_user("mia", "mia@optigem.com", "pw-marketing-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Marketing"))
    client.force_login(user)
    upload = SimpleUploadedFile("k.csv", CSV.encode(), content_type="text/csv")
    page = client.post(
        "/admin/newsletter/customer/import/",
        {"file": upload, "source": "Messe", "relationship": "customer"},
    )
    body = page.content.decode()
    assert "3 neu angelegt" in body and "kein-at-zeichen" in body and 'id="rejected-csv"' in body
    response = client.post(
        "/admin/newsletter/subscriber/written/",
        {
            "email": "anna@example.org",
            "customer_mails": "on",
            "channel": "letter",
            "on": "2026-11-20",
            "reference": "Brief 2026-17",
        },
    )
    assert response.status_code == 302
    entry = suppression.Suppression.objects.get()
    assert (entry.scope, entry.channel, str(entry.on), entry.reference) == (
        "customer",
        "letter",
        "2026-11-20",
        "Brief 2026-17",
    )
    assert "anna" not in entry.address_hash
    listing = client.get("/admin/newsletter/customer/").content.decode()
    assert "icon-yes" in listing


def test_written_newsletter_unsubscription_is_recorded(client):
    sync_group_permissions()
    factories.subscriber("leser@example.org")
    user = User.objects.create_user("dsb", "dsb@optigem.com", "pw-datenschutz-1", is_staff=True)
    user.groups.add(Group.objects.get(name="Datenschutz"))
    client.force_login(user)
    client.post(
        "/admin/newsletter/subscriber/written/",
        {
            "email": "Leser@example.org",
            "newsletter": "on",
            "channel": "fax",
            "on": "2026-11-02",
            "reference": "Fax 12",
        },
    )
    subscriber = factories.Subscriber.objects.get()
    assert (
        subscriber.status,
        subscriber.unsubscribe_channel,
        subscriber.unsubscribe_reference,
    ) == ("unsubscribed", "fax", "Fax 12")
    assert timezone.localdate(subscriber.unsubscribed_at).isoformat() == "2026-11-02"


def test_a_prospect_without_recorded_consent_gets_no_customer_mail(mailoutbox):
    from newsletter import delivery
    from newsletter.models import Mailing, MailingKind

    factories.customer("kundin@example.org")
    factories.customer("mit@example.org", relationship="prospect")
    # Entered before consent was recorded: kept, but not mailed.
    Customer.objects.create(email="ohne@example.org", relationship="prospect", source="alt")
    mailing = factories.mailing(kind=MailingKind.CUSTOMER)
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    assert delivery.deliveries_create(mailing_id=mailing.pk) == 2
    delivery.deliveries_send(mailing_id=mailing.pk)
    assert sorted(m.to[0] for m in mailoutbox) == ["kundin@example.org", "mit@example.org"]


def test_the_admin_asks_for_a_prospects_consent(client):
    sync_group_permissions()
    user = User.objects.create_user("mia", "mia@optigem.com", "pw-marketing-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Marketing"))
    client.force_login(user)
    data = {"email": "neu@example.org", "relationship": "prospect", "source": "Messe"}
    page = client.post("/admin/newsletter/customer/add/", data)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Datum und Nachweis der Einwilligung" in body
    assert 'value="neu@example.org"' in body  # what was typed stays
    assert not Customer.objects.exists()
    data |= {"consent_on": "01.11.2026", "consent_evidence": "Formular am Messestand"}
    assert client.post("/admin/newsletter/customer/add/", data).status_code == 302
    assert Customer.objects.get().consent_evidence == "Formular am Messestand"


def test_a_blank_relationship_keeps_a_stored_prospect_a_prospect():
    """The form's default (customer) applies to new addresses only: a prospect without
    recorded consent cannot become a customer, and so mailable, by a blank column."""
    Customer.objects.create(email="alt@example.org", relationship="prospect", source="alt")
    report = customers_import(
        b"email;name\nalt@example.org;Alt\nneu@example.org;Neu\n", default_source="x"
    )
    assert [r.values["email"] for r in report.rejected] == ["alt@example.org"]
    assert "Interessent ohne Einwilligung" in report.rejected[0].reason
    assert Customer.objects.get(email="alt@example.org").relationship == "prospect"
    assert Customer.objects.get(email="neu@example.org").relationship == "customer"
