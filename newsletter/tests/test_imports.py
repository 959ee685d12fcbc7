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

CSV = """Name;E-Mail;Organisation;Beziehung;Quelle
Anna Alt;anna@example.org;Verein A;Kunde;Messe
Bernd;kein-at-zeichen;Verein B;Kunde;Messe
Carla;carla@example.org;Verein C;Lieferant;Messe
Gesperrt;blocked@example.org;Verein D;Interessent;Messe
Anna doppelt;ANNA@example.org;Verein A;Kunde;Messe
Dora;dora@example.org;;Interessent;
"""


def test_every_line_is_imported_or_reported_with_its_number():
    suppression.suppress(
        "blocked@example.org", scope="customer", reason="opt-out", channel="letter"
    )
    report = customers_import(CSV.encode("cp1252"), default_source="Import Nov.")
    assert (report.created, report.updated) == (2, 0)
    assert {(r.line, r.values["email"]) for r in report.rejected} == {
        (3, "kein-at-zeichen"), (4, "carla@example.org"), (5, "blocked@example.org"), (6, "anna@example.org"),
    }  # fmt: skip
    reasons = {r.line: r.reason for r in report.rejected}
    assert "keine gültige E-Mail-Adresse" in reasons[3]
    assert "Lieferant" in reasons[4]
    assert "E-Mail-Sperre" in reasons[5]
    assert "schon in der Datei" in reasons[6]
    assert Customer.objects.get(email="dora@example.org").source == "Import Nov."
    assert Customer.objects.get(email="anna@example.org").relationship == "customer"
    rejected = report.rejected_csv().splitlines()
    assert (
        rejected[0] == "name;email;organisation;relationship;source;fehler" and len(rejected) == 5
    )
    assert not suppression.is_suppressed("anna@example.org", "customer")


def test_reimport_updates_without_blanking():
    factories.customer("anna@example.org", name="Anna Alt", organisation="Verein A")
    report = customers_import(
        b"email,name,organisation\nanna@example.org,,Neuer Verein\n", default_source="x"
    )
    assert (report.created, report.updated, report.rejected) == (0, 1, [])
    anna = Customer.objects.get()
    assert (anna.name, anna.organisation) == ("Anna Alt", "Neuer Verein")


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
