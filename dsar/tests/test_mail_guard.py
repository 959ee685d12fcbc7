"""The restriction mail guard: an active restriction blocks every kind of mail, a lifted one none."""

import pytest
from django.utils import timezone

from dsar.models import Restriction
from privacy.digests import address_digest
from privacy.registry import MailKind, registry

pytestmark = pytest.mark.django_db


def restrict(address: str, *, lifted: bool = False) -> Restriction:
    return Restriction.objects.create(
        email_digest=address_digest(address),
        ground="accuracy",
        lifted_at=timezone.now() if lifted else None,
        lift_reason="geklärt" if lifted else "",
    )


@pytest.mark.parametrize("kind", list(MailKind))
def test_an_active_restriction_blocks_every_kind_of_mail(kind):
    restrict("gesperrt@example.org")
    assert registry.mail_blocked(" Gesperrt@Example.ORG ", kind=kind) == "restriction"
    assert registry.mail_blocked("frei@example.org", kind=kind) is None


def test_a_lifted_restriction_blocks_nothing():
    restrict("wieder-frei@example.org", lifted=True)
    assert registry.mail_blocked("wieder-frei@example.org", kind=MailKind.NEWSLETTER) is None
    restrict("wieder-frei@example.org")
    assert registry.mail_blocked("wieder-frei@example.org", kind=MailKind.NEWSLETTER)


def test_a_newsletter_skips_a_restricted_subscriber(mailoutbox):
    from newsletter import delivery
    from newsletter.models import Delivery, Mailing
    from newsletter.tests import factories

    factories.subscriber("gesperrt@example.org")
    factories.subscriber("frei@example.org")
    mailing = factories.mailing()
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    delivery.deliveries_create(mailing_id=mailing.pk)
    restrict("gesperrt@example.org")
    report = delivery.deliveries_send(mailing_id=mailing.pk)
    assert (report.sent, report.skipped) == (1, 1)
    assert [m.to for m in mailoutbox] == [["frei@example.org"]]
    skipped = Delivery.objects.get(address="gesperrt@example.org")
    assert (skipped.status, skipped.error) == ("skipped", "restriction")
