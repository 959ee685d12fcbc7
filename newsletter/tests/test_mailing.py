import re
from collections import Counter
from email import policy
from email.parser import BytesParser

import pytest
from django.contrib.auth.models import User
from django.test import Client

from newsletter import delivery, services, suppression
from newsletter.compose import Rendered
from newsletter.models import Delivery, Mailing, MailingKind, Subscriber
from newsletter.tests import factories
from newsletter.transport import Result, Transport

pytestmark = pytest.mark.django_db


def _send(mailing, capture):
    with capture(execute=True):
        services.mailing_send(mailing=mailing)


def _parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_issue_goes_once_to_each_confirmed_subscriber(
    mailoutbox, django_capture_on_commit_callbacks
):
    for n in range(5):
        factories.subscriber(f"s{n}@example.org")
    factories.subscriber("pending@example.org", status="pending")
    factories.subscriber("gone@example.org", status="unsubscribed")
    suppression.suppress("s4@example.org", scope="newsletter", reason="opt-out", channel="letter")
    mailing = factories.mailing()
    _send(mailing, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == [f"s{n}@example.org" for n in range(4)]
    mailing.refresh_from_db()
    assert mailing.status == "sent"
    assert delivery.mailing_progress(mailing) == {"queued": 0, "sent": 4, "failed": 0, "skipped": 0}
    # Queueing again adds nothing, and a sent row is never claimed again.
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    assert delivery.deliveries_create(mailing_id=mailing.pk) == 0
    assert delivery.deliveries_claim(mailing_id=mailing.pk, size=10)[1] == []


def test_block_after_queueing_is_honoured_at_hand_off(mailoutbox):
    factories.subscriber("a@example.org")
    factories.subscriber("b@example.org")
    mailing = factories.mailing()
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    delivery.deliveries_create(mailing_id=mailing.pk)
    suppression.suppress("b@example.org", reason="erasure", channel="dsar")
    report = delivery.deliveries_send(mailing_id=mailing.pk)
    assert (report.sent, report.skipped) == (1, 1)
    assert [m.to[0] for m in mailoutbox] == ["a@example.org"]
    assert Delivery.objects.get(address="b@example.org").error == "suppression"


def test_real_smtp_exchange_with_headers_and_no_tracking(
    smtp_sink, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://www.optigem.com"
    factories.subscriber("leser@example.org")
    mailing = factories.mailing(
        body="Text mit [Link](https://www.optigem.com/neu?x=1) ![p](https://t.example/p.gif)"
    )
    _send(mailing, django_capture_on_commit_callbacks)
    (raw,) = [data for _sender, _rcpts, data in smtp_sink.received]
    message = _parse(raw)
    link = message["List-Unsubscribe"].strip("<>")
    # Literally one <https://…> value, not RFC 2047 words a mail program cannot act on.
    assert f"\r\nList-Unsubscribe: <{link}>\r\n".encode() in raw
    assert link.startswith("https://www.optigem.com/newsletter/abmelden/")
    assert "leser" not in link
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == Delivery.objects.get().message_id
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert link in html and link in text  # visible at the end of the issue
    assert html.rstrip().endswith("</html>") and html.index(
        "https://www.optigem.com/neu?x=1"
    ) < html.index(link)
    assert "<img" not in html and "t.example" not in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert set(hrefs) == {"https://www.optigem.com/neu?x=1", link}


def test_one_click_post_unsubscribes_without_csrf_and_get_does_not(
    smtp_sink, django_capture_on_commit_callbacks
):
    factories.subscriber("weg@example.org")
    _send(factories.mailing(), django_capture_on_commit_callbacks)
    link = _parse(smtp_sink.received[0][2])["List-Unsubscribe"].strip("<>")
    path = link.split("://", 1)[1].split("/", 1)[1]
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/{path}")
    assert page.status_code == 200 and "<button" in page.content.decode()
    assert Subscriber.objects.get().status == "subscribed"
    response = client.post(
        f"/{path}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.unsubscribe_channel) == ("unsubscribed", "one-click")
    assert client.post(f"/{path}").status_code == 200
    assert client.post("/newsletter/abmelden/nonsense/").status_code == 200


def test_customer_mail_opt_out_sets_the_block(mailoutbox, django_capture_on_commit_callbacks):
    factories.customer("k@example.org")
    factories.customer("i@example.org", relationship="prospect")
    mailing = factories.mailing(kind=MailingKind.CUSTOMER, relationship="customer")
    _send(mailing, django_capture_on_commit_callbacks)
    (mail,) = mailoutbox
    assert mail.to == ["k@example.org"] and "§ 7 Abs. 3 UWG" in mail.body
    link = mail.extra_headers["List-Unsubscribe"].strip("<>")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert path.startswith("/kundenmail/abmelden/")
    assert Client(enforce_csrf_checks=True).post(path).status_code == 200
    assert suppression.is_suppressed("k@example.org", "customer")
    assert not suppression.is_suppressed("k@example.org", "newsletter")
    # A newsletter token cannot set a customer block and vice versa.
    assert not services.unsubscribe_with_token(
        token=path.split("/")[-2], scope="newsletter", channel="link"
    )


class Answer:
    """A mark whose answer is fixed: the database's verdict on the claim, without a database."""

    overlaps = False

    def __init__(self, held: bool):
        self.held = held

    def write(self) -> None:
        pass

    def confirmed(self) -> bool:
        return self.held

    def abandon(self, *, delivered: bool) -> None:
        pass


def test_lost_claim_drops_the_message_before_the_final_dot(smtp_sink):
    factories.subscriber("x@example.org")
    mailing = factories.mailing(status="sending")
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    delivery.deliveries_create(mailing_id=mailing.pk)
    row = Delivery.objects.get()
    rendered = Rendered(Mailing.objects.get(pk=mailing.pk))
    with Transport() as transport:
        outcome = transport.send(rendered.outgoing(row), commit=Answer(False))
        assert outcome.result is Result.LOST_CLAIM
        ok = transport.send(rendered.outgoing(row), commit=Answer(True))
        assert ok.result is Result.ACCEPTED
    smtp_sink.wait_for(1)
    assert len(smtp_sink.received) == 1


def test_marketing_writes_previews_tests_and_sends_in_the_admin(
    marketing, mailoutbox, django_capture_on_commit_callbacks
):
    factories.subscriber("leser@example.org")
    response = marketing.post(
        "/admin/newsletter/mailing/add/",
        {
            "kind": "newsletter",
            "relationship": "",
            "subject": "Quartal",
            "body": "**Neu** <script>x()</script>",
        },
    )
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    preview = marketing.get(f"/admin/newsletter/mailing/{mailing.pk}/preview/").content.decode()
    assert "<strong>Neu</strong>" in preview and "<script>x()" not in preview
    marketing.post(f"/admin/newsletter/mailing/{mailing.pk}/test/")
    assert [(m.to, m.subject) for m in mailoutbox] == [(["mia@optigem.com"], "[TEST] Quartal")]
    assert not Delivery.objects.exists()
    confirm = marketing.get(f"/admin/newsletter/mailing/{mailing.pk}/send/")
    assert "geht an 1 Empfänger" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        marketing.post(f"/admin/newsletter/mailing/{mailing.pk}/send/")
    assert Counter(m.to[0] for m in mailoutbox) == {"mia@optigem.com": 1, "leser@example.org": 1}
    page = marketing.get(f"/admin/newsletter/mailing/{mailing.pk}/change/").content.decode()
    assert "versendet: 1" in page
    listing = marketing.get("/admin/newsletter/mailing/").content.decode()
    assert "Quartal" in listing


def test_dead_workers_claims_return_and_stalled_mailings_are_found():
    from datetime import timedelta

    from django.utils import timezone

    for n in range(3):
        factories.subscriber(f"r{n}@example.org")
    mailing = factories.mailing()
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    delivery.deliveries_create(mailing_id=mailing.pk)
    long_ago = timezone.now() - timedelta(hours=1)
    _claim, rows = delivery.deliveries_claim(mailing_id=mailing.pk, size=2, now=long_ago)
    assert len(rows) == 2
    assert delivery.deliveries_claim(mailing_id=mailing.pk, size=5)[1][0].pk not in {
        r.pk for r in rows
    }
    Delivery.objects.filter(status="claimed").update(claimed_at=long_ago)
    assert delivery.mailings_stalled() == ([], [])  # nothing is waiting in the queue
    assert delivery.deliveries_release_stale() == {mailing.pk}
    assert delivery.mailings_stalled() == ([], [mailing.pk])


def test_delivery_rows_lose_the_address_after_90_days():
    from datetime import timedelta

    from django.utils import timezone

    from privacy.registry import registry

    factories.subscriber("alt@example.org")
    mailing = factories.mailing()
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    delivery.deliveries_create(mailing_id=mailing.pk, now=timezone.now() - timedelta(days=91))
    Delivery.objects.update(status="sent")
    (rule,) = [r for r in registry.retention_rules if r.key == "mail-delivery-address"]
    rule.anonymise(rule.expired(now=timezone.now()))
    row = Delivery.objects.get()
    assert (row.address, row.address_hash, row.subscriber_id, row.status) == (
        "",
        None,
        None,
        "sent",
    )
    assert delivery.mailing_progress(mailing)["sent"] == 1


def test_test_mail_goes_through_the_guard_and_says_where_it_went(marketing, mailoutbox):
    mailing = factories.mailing()
    url = f"/admin/newsletter/mailing/{mailing.pk}/test/"
    page = marketing.post(url, follow=True)
    assert "Testmail an mia@optigem.com gesendet." in page.content.decode()
    assert [m.to for m in mailoutbox] == [["mia@optigem.com"]]
    assert mailoutbox[0].subject == f"[TEST] {mailing.subject}"
    assert not Delivery.objects.exists()
    # A blocked staff address is refused like any recipient, and staff are told so.
    suppression.suppress("mia@optigem.com", scope="newsletter", reason="opt-out", channel="letter")
    page = marketing.post(url, follow=True)
    assert "nicht gesendet" in page.content.decode()
    assert len(mailoutbox) == 1


def test_test_mail_form_sits_outside_the_admin_form(marketing):
    mailing = factories.mailing()
    html = marketing.get(f"/admin/newsletter/mailing/{mailing.pk}/change/").content.decode()
    admin_form_end = html.index("</form>", html.index('id="mailing_form"'))
    assert html.index('<form id="test-send"') > admin_form_end


def test_the_test_send_passes_the_mail_guards(admin_client, monkeypatch):
    from django.core import mail

    from privacy.registry import MailGuard, registry

    admin = User.objects.get(is_superuser=True)
    monkeypatch.setitem(
        registry.mail_guards,
        "test-guard",
        MailGuard(key="test-guard", blocks=lambda address, kind: address == admin.email.lower()),
    )
    mailing = factories.mailing()
    response = admin_client.post(f"/admin/newsletter/mailing/{mailing.pk}/test/", follow=True)
    assert mail.outbox == []
    assert "gesperrt" in response.content.decode()


def test_recovery_restarts_a_mailing_whose_dead_worker_was_released_while_another_just_sent(
    mailoutbox,
):
    """The survivor sent a moment ago, so the mailing does not look stalled; the rows the dead
    worker held must still get a sender, not wait for the next quiet minute."""
    from datetime import timedelta

    from django.utils import timezone

    from newsletter import tasks

    for n in range(3):
        factories.subscriber(f"w{n}@example.org")
    mailing = factories.mailing()
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    delivery.deliveries_create(mailing_id=mailing.pk)
    first, *dead = Delivery.objects.order_by("pk")
    Delivery.objects.filter(pk=first.pk).update(status="sent", sent_at=timezone.now())
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk__in=[r.pk for r in dead]).update(
        status="claimed", claim="dead-worker", claimed_at=long_ago
    )
    assert delivery.mailings_stalled() == ([], [])
    tasks.deliveries_recover()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.address for r in dead)
    assert Mailing.objects.get(pk=mailing.pk).status == "sent"
