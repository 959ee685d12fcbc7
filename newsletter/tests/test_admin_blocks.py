"""Marketing sees whether an address is blocked, never why; Datenschutz sees why."""

import pytest
from django.contrib.auth.models import Group, User

from newsletter.models import Channel, Suppression, SuppressionReason, SuppressionScope
from newsletter.suppression import suppress
from newsletter.tests import factories
from privacy.roles import sync_group_permissions

pytestmark = pytest.mark.django_db


def _login(client, group):
    sync_group_permissions()
    user = User.objects.create_user(group.lower(), f"{group}@optigem.com", "pw-123", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)


@pytest.fixture
def erased_customer():
    customer = factories.customer("gesperrt@example.org", name="Gesperrt GmbH")
    suppress(
        customer.email,
        scope=SuppressionScope.ALL,
        reason=SuppressionReason.ERASURE,
        channel=Channel.DSAR,
        reference="Betroffenenanfrage 41",
    )
    factories.customer("frei@example.org", name="Frei e. V.")
    return customer


def test_customer_list_and_page_show_the_block(client, erased_customer):
    _login(client, "Marketing")
    listing = client.get("/admin/newsletter/customer/").text
    assert "E-Mail-Sperre" in listing
    assert listing.count('alt="True"') == 1 and listing.count('alt="False"') == 1
    page = client.get(f"/admin/newsletter/customer/{erased_customer.pk}/change/").text
    assert "field-blocked" in page and 'alt="True"' in page


def test_marketing_sees_that_an_address_is_blocked_never_why(client, erased_customer):
    _login(client, "Marketing")
    listing = client.get("/admin/newsletter/suppression/").text
    assert "Betroffenenanfrage" not in listing and "Löschung auf Antrag" not in listing
    assert "?reason__exact" not in listing and "?channel__exact" not in listing
    # The file reference cannot be searched for (it would tell why); the address can.
    by_reference = client.get("/admin/newsletter/suppression/?q=Betroffenenanfrage").text
    assert erased_customer.address_hash[:16] not in by_reference
    by_address = client.get("/admin/newsletter/suppression/?q=gesperrt@example.org").text
    assert erased_customer.address_hash[:16] in by_address
    entry = Suppression.objects.get()
    detail = client.get(f"/admin/newsletter/suppression/{entry.pk}/change/")
    assert detail.status_code == 200 and "Betroffenenanfrage" not in detail.text
    assert "Löschung auf Antrag" not in detail.text


def test_datenschutz_sees_why(client, erased_customer):
    _login(client, "Datenschutz")
    listing = client.get("/admin/newsletter/suppression/").text
    assert "Betroffenenanfrage 41" in listing and "Löschung auf Antrag" in listing


def test_written_opt_out_form_starts_with_a_valid_date_and_says_one_thing(client):
    from django.utils import timezone

    _login(client, "Marketing")
    page = client.get("/admin/newsletter/subscriber/written/").text
    assert f'type="date" name="on" value="{timezone.localdate().isoformat()}"' in page
    assert page.count("Schriftliche Abmeldung oder Sperre erfassen") >= 2  # title and button
    assert 'value="Schriftliche Abmeldung oder Sperre erfassen"' in page
