"""The cloud's mails are rows first (cloud/services/outbox.py): the request answers without
waiting for a mail server, an SMTP or broker outage delays a mail but never loses it, and no
mail goes out twice. Through HTTP with the real SMTP sink."""

import datetime
import re
import smtplib
from collections import Counter
from http import HTTPStatus

import psycopg
import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cloud.models import MailKind, MailState, OutgoingMail, Role, Status
from cloud.services.outbox import MAIL_CLAIM_LEASE, outgoing_mails_send_unsent
from cloud.tasks import send_mails, send_unsent_mails
from conftest import free_port
from contact.tests import test_mails as contact_mail_tests
from contact.tests.test_mail_claims import other_connection
from optigem_site.celery import app

from .factories import make_member, make_organisation, make_receipt, make_user, sign_in

pytestmark = pytest.mark.django_db

# The contact tests' fixture: Celery publishes for real to a broker that does not answer.
broker_down = contact_mail_tests.broker_down

LINK = re.compile(r"https?://\S+/cx/passwort-vergessen/\S+/\S+/")
NEW_PASSWORD = "ganz-neues-Passwort-2026"
DONE_TEXT = "Wenn zu der angegebenen Adresse ein Konto besteht"


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _ask(client, email: str, *, follow: bool = False):
    return client.post(reverse("cloud:password_reset"), {"email": email}, follow=follow)


def _link_works(message, settings) -> bool:
    """Set a new password through the mail's link; whether it was taken."""
    link = LINK.search(message.get_payload(decode=True).decode())
    assert link, "no link in the mail"
    path = link.group(0).removeprefix(settings.SITE_URL)
    client = Client()
    form = client.get(path)
    if form.status_code != HTTPStatus.FOUND:
        return False
    done = client.post(
        form["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    return done.status_code == HTTPStatus.FOUND and done["Location"] == reverse("cloud:login")


def _per_address(smtp_sink) -> dict[str, int]:
    return dict(Counter(r for _sender, rcpts, _data in smtp_sink.received for r in rcpts))


def test_the_request_writes_the_mail_and_the_task_after_commit_sends_it(
    client, smtp_sink, settings, django_capture_on_commit_callbacks
):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client, user.email)
        # The answer is there before any mail: the row waits for the commit.
        assert response.status_code == HTTPStatus.FOUND
        (mail,) = OutgoingMail.objects.all()
        assert (mail.kind, mail.recipient, mail.user, mail.state) == (
            MailKind.PASSWORD_RESET,
            user.email,
            user,
            MailState.UNSENT,
        )
        assert smtp_sink.received == []
    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == user.email
    mail.refresh_from_db()
    assert mail.state == MailState.SENT and mail.settled_at is not None
    assert _link_works(message, settings)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_unknown_address_writes_and_publishes_nothing_and_gets_the_same_page(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    user = make_user()
    with django_capture_on_commit_callbacks() as published:
        unknown = _ask(client, "niemand@example.org", follow=True)
    assert published == [] and not OutgoingMail.objects.exists()
    with django_capture_on_commit_callbacks() as published:
        known = _ask(client, user.email, follow=True)
    assert len(published) == 1 and OutgoingMail.objects.count() == 1
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content
    assert DONE_TEXT in known.content.decode()


def test_with_smtp_down_the_page_says_sent_and_the_sweep_delivers_the_link_once(
    client, smtp_sink, settings, django_capture_on_commit_callbacks
):
    user = make_user()
    options = settings.MAILERS["default"]["OPTIONS"]["options"]
    sink_port, options["port"] = options["port"], free_port()  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client, user.email, follow=True)
    assert response.status_code == HTTPStatus.OK and DONE_TEXT in response.content.decode()
    mail = OutgoingMail.objects.get()
    assert mail.state == MailState.UNSENT and mail.failed_at is not None
    assert (mail.claim, mail.claimed_at) == ("", None)  # the claim was given back

    options["port"] = sink_port  # the mail server is back: beat's sweep runs
    send_unsent_mails.delay()
    send_unsent_mails.delay()
    (message,) = smtp_sink.wait_for(1)
    assert _per_address(smtp_sink) == {user.email: 1}
    mail.refresh_from_db()
    assert mail.state == MailState.SENT
    assert _link_works(message, settings)


def test_with_the_broker_down_the_request_answers_and_the_sweep_delivers_once(
    client, smtp_sink, settings, broker_down, django_capture_on_commit_callbacks, caplog
):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client, user.email)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("cloud:password_reset_done")
    assert broker_down.attempts == 1  # one try, no retry loop keeping the visitor waiting
    assert "cloud.mail.enqueue_failed" in caplog.text
    assert OutgoingMail.objects.get().state == MailState.UNSENT
    assert smtp_sink.received == []

    app.conf.task_always_eager = True  # the broker is back: the beat entry's task runs
    send_unsent_mails.delay()
    send_unsent_mails.delay()
    (message,) = smtp_sink.wait_for(1)
    assert _per_address(smtp_sink) == {user.email: 1}
    assert _link_works(message, settings)


def test_the_task_run_twice_sends_the_mail_once(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=False):
        _ask(client, user.email)
    ids = list(OutgoingMail.objects.values_list("pk", flat=True))
    send_mails.delay(ids)
    send_mails.delay(ids)  # a redelivery after a lost acknowledgement
    send_unsent_mails.delay()
    assert _per_address(smtp_sink) == {user.email: 1}


def test_a_mail_the_server_refused_waits_behind_the_others(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    first, second = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=False):
        _ask(client, first.email)
        _ask(client, second.email)
    smtp_sink.refusals.append("451 4.3.0 Bitte später erneut versuchen")
    assert outgoing_mails_send_unsent() == 0  # the run stops at the refusal
    assert OutgoingMail.objects.get(user=first).failed_at is not None
    assert outgoing_mails_send_unsent() == 2
    assert [rcpts for _sender, rcpts, _data in smtp_sink.received] == [
        [second.email],
        [first.email],
    ]


def test_a_fresh_claim_of_another_worker_is_left_alone_until_its_lease_runs_out(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=False):
        _ask(client, user.email)
    now = timezone.now()
    # A worker took the mail and died before it was settled.
    OutgoingMail.objects.update(claim="a" * 32, claimed_at=now)
    assert outgoing_mails_send_unsent(now=now + datetime.timedelta(minutes=1)) == 0
    send_mails.delay(list(OutgoingMail.objects.values_list("pk", flat=True)))
    assert smtp_sink.received == []
    later = now + MAIL_CLAIM_LEASE + datetime.timedelta(seconds=1)
    assert outgoing_mails_send_unsent(now=later) == 1
    assert outgoing_mails_send_unsent(now=later) == 0
    assert _per_address(smtp_sink) == {user.email: 1}


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_and_no_row_locked_while_the_server_talks(
    postgres, client, smtp_sink
):
    sender = connections["default"]  # this thread's connection sends the mail
    seen = []

    def check(envelope):
        with other_connection() as other:
            try:
                with other.transaction():
                    other.execute("SELECT id FROM cloud_outgoingmail FOR UPDATE NOWAIT")
                locked = False
            except psycopg.errors.LockNotAvailable:
                locked = True
        seen.append((locked, sender.in_atomic_block))

    smtp_sink.on_message = check
    user = make_user()
    assert _ask(client, user.email).status_code == HTTPStatus.FOUND  # commits, then sends
    smtp_sink.wait_for(1)
    assert seen == [(False, False)]
    mail = OutgoingMail.objects.get()
    assert (mail.state, mail.claim, mail.claimed_at) == (MailState.SENT, "", None)


def test_a_reset_link_asked_for_longer_ago_than_a_link_lives_is_not_sent_late(
    client, smtp_sink, settings, django_capture_on_commit_callbacks
):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=False):
        _ask(client, user.email)
    late = timezone.now() + datetime.timedelta(seconds=settings.CLOUD_PASSWORD_RESET_TIMEOUT)
    assert outgoing_mails_send_unsent(now=late) == 0
    assert smtp_sink.received == []
    assert OutgoingMail.objects.get().state == MailState.OBSOLETE


def test_a_reset_for_an_account_that_changed_since_is_not_sent(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    moved, deactivated = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=False):
        _ask(client, moved.email)
        _ask(client, deactivated.email)
    moved.email = "neu@example.org"
    moved.save()
    deactivated.is_active = False
    deactivated.save()
    assert outgoing_mails_send_unsent() == 0
    assert smtp_sink.received == []
    assert set(OutgoingMail.objects.values_list("state", flat=True)) == {MailState.OBSOLETE}


def test_the_reset_mail_speaks_the_language_it_was_asked_in(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/en/cx/passwort-vergessen/", {"email": user.email})
    (message,) = smtp_sink.wait_for(1)
    body = message.get_payload(decode=True).decode()
    assert "You asked for a new password for your OPTIGEM CX account." in body
    assert OutgoingMail.objects.get().language == "en"


def test_the_rows_hold_no_link_or_token(client, smtp_sink, django_capture_on_commit_callbacks):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, user.email)
    (message,) = smtp_sink.wait_for(1)
    link = LINK.search(message.get_payload(decode=True).decode())
    assert link, "no link in the mail"
    token = link.group(0).split("/")[-2]
    stored = " ".join(str(value) for value in OutgoingMail.objects.values().get().values())
    assert token not in stored and "passwort-vergessen" not in stored


def test_a_decision_mail_tells_the_decision_it_was_written_for(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    """Approved and refunded before either mail went out: two mails, each its own decision."""
    org = make_organisation()
    reviewer = make_member(organisation=org, role=Role.REVIEWER)
    submitter = make_member(organisation=org)
    receipt = make_receipt(membership=submitter)
    sign_in(client, reviewer.user)

    def url(name):
        return reverse(f"cloud:{name}", kwargs={"org": org.slug, "pk": receipt.pk})

    with django_capture_on_commit_callbacks(execute=False):  # the broker lost both tasks
        client.post(url("receipt_review"), {"decision": "approve", "comment": "passt"})
        client.post(url("receipt_refunded"))
    receipt.refresh_from_db()
    assert receipt.status == Status.REFUNDED
    assert outgoing_mails_send_unsent() == 2
    bodies = [m.get_payload(decode=True).decode() for m in smtp_sink.wait_for(2)]
    assert "geprüft und genehmigt" in bodies[0] and "wurde erstattet" in bodies[1]


def test_an_invitation_accepted_or_withdrawn_before_its_mail_went_out_is_not_sent(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    org = make_organisation()
    admin = make_member(organisation=org, role=Role.MAIN_ADMIN)
    sign_in(client, admin.user)
    members = reverse("cloud:members", kwargs={"org": org.slug})
    with django_capture_on_commit_callbacks(execute=False):
        client.post(members, {"email": "eins@example.org", "role": Role.SUBMITTER})
        client.post(members, {"email": "zwei@example.org", "role": Role.SUBMITTER})
    first, second = OutgoingMail.objects.order_by("pk")
    second.invitation.delete()  # withdrawn: the mail goes with it
    first.invitation.accepted_at = timezone.now()
    first.invitation.save()
    assert outgoing_mails_send_unsent() == 0
    assert smtp_sink.received == []
    assert list(OutgoingMail.objects.values_list("state", flat=True)) == [MailState.OBSOLETE]


def test_the_beat_schedule_runs_the_sweep(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["cloud-send-unsent-mails"]
    assert entry["task"] == send_unsent_mails.name


def test_a_mail_the_server_refuses_for_good_is_settled_refused_and_not_tried_again(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    first, second = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=False):
        _ask(client, first.email)
        _ask(client, second.email)
    smtp_sink.refusals.append("550 5.1.1 Postfach unbekannt")
    assert outgoing_mails_send_unsent() == 1  # the refusal does not stop the run
    refused = OutgoingMail.objects.get(user=first)
    assert (refused.state, refused.blocked_by) == (MailState.REFUSED, "smtp 550")
    assert refused.settled_at is not None
    assert outgoing_mails_send_unsent() == 0
    assert [rcpts for _sender, rcpts, _data in smtp_sink.received] == [[second.email]]


def test_an_invitation_the_server_refused_says_so_on_the_members_page(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    org = make_organisation()
    admin = make_member(organisation=org, role=Role.MAIN_ADMIN)
    sign_in(client, admin.user)
    members = reverse("cloud:members", kwargs={"org": org.slug})
    smtp_sink.refusals.append("550 5.1.1 Postfach unbekannt")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(members, {"email": "tippfehler@example.org", "role": Role.SUBMITTER})
    assert OutgoingMail.objects.get().state == MailState.REFUSED
    page = client.get(members).content.decode()
    assert "tippfehler@example.org" in page
    assert "der Mailserver hat die Adresse abgelehnt" in page
    assert "für E-Mails gesperrt" not in page


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"unbekannt")}), 550),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"voll")}), None),
        (smtplib.SMTPDataError(554, b"abgelehnt"), 554),
        (smtplib.SMTPDataError(451, b"spaeter"), None),
        # Our own login, sender or greeting refused: the site's configuration, mended for all.
        (smtplib.SMTPAuthenticationError(535, b"falsches Passwort"), None),
        (smtplib.SMTPSenderRefused(550, b"Absender abgelehnt", "noreply@optigem.com"), None),
        (smtplib.SMTPHeloError(501, b"HELO"), None),
        (ConnectionRefusedError(), None),
    ],
)
def test_only_a_refusal_of_the_recipient_or_message_settles_a_mail_for_good(error, permanent):
    from cloud.services.outbox import _permanent_refusal

    assert _permanent_refusal(error) == permanent
