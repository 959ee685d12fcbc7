import pytest
from django.core.management import call_command

from newsletter import suppression
from newsletter.models import Subscriber, Suppression
from newsletter.tests import factories
from privacy.registry import MailKind, registry

pytestmark = pytest.mark.django_db


def test_entry_holds_only_a_keyed_hash_of_the_normalised_address(settings):
    entry = suppression.suppress(
        " Anna@Example.ORG ", scope="newsletter", reason="opt-out", channel="letter"
    )
    assert "anna" not in entry.address_hash.lower()
    assert len(entry.address_hash) == 64
    assert suppression.is_suppressed("anna@example.org", "newsletter")
    settings.ADDRESS_HASH_KEY = "another-key"
    assert suppression.address_digest("anna@example.org") != entry.address_hash


def test_scopes_cover_as_documented():
    suppression.suppress("n@example.org", scope="newsletter", reason="opt-out", channel="link")
    suppression.suppress("c@example.org", scope="customer", reason="opt-out", channel="link")
    suppression.suppress("a@example.org", reason="erasure", channel="dsar")
    assert suppression.is_suppressed("n@example.org", "newsletter")
    assert not suppression.is_suppressed("n@example.org", "customer")
    assert suppression.is_suppressed("c@example.org", "customer")
    assert not suppression.is_suppressed("c@example.org", "newsletter")
    for scope in ("newsletter", "customer", "all"):
        assert suppression.is_suppressed("a@example.org", scope)
    assert not suppression.is_suppressed("n@example.org", "all")
    with pytest.raises(ValueError):
        suppression.is_suppressed("a@example.org", "everything")


def test_suppress_twice_keeps_the_first_entry():
    first = suppression.suppress(
        "x@example.org", scope="customer", reason="opt-out", channel="link"
    )
    again = suppression.suppress(
        "X@example.org", scope="customer", reason="written-request", channel="letter"
    )
    assert again.pk == first.pk and again.reason == "opt-out"
    assert Suppression.objects.count() == 1


def test_guard_blocks_newsletter_and_customer_mail_but_not_answers():
    suppression.suppress("x@example.org", reason="erasure", channel="dsar")
    assert registry.mail_blocked("X@example.org", kind=MailKind.NEWSLETTER) == "suppression"
    assert registry.mail_blocked("x@example.org", kind=MailKind.CUSTOMER) == "suppression"
    assert registry.mail_blocked("x@example.org", kind=MailKind.TRANSACTIONAL) is None


def test_block_survives_erasure_of_the_person():
    factories.subscriber("gone@example.org")
    factories.customer("gone@example.org")
    suppression.suppress("gone@example.org", reason="erasure", channel="dsar")
    for holder in registry.holders.values():
        if holder.model.startswith("newsletter."):
            holder.erase_rows(holder.rows_for("gone@example.org"))
    assert not Subscriber.objects.filter(email="gone@example.org").exists()
    assert suppression.is_suppressed("gone@example.org", "newsletter")
    assert suppression.is_suppressed("gone@example.org", "customer")


def test_registry_declarations_pass_the_system_checks():
    call_command("check", fail_level="ERROR")
    assert "suppression" in registry.mail_guards
    assert "newsletter.Suppression" in registry.no_personal_data
    for model in ("newsletter.Subscriber", "newsletter.Customer", "newsletter.Delivery"):
        assert model in registry.holders
