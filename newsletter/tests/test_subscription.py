import re
import uuid
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conftest import free_port
from newsletter import services, suppression
from newsletter.models import ConsentText, Subscriber
from newsletter.tasks import send_due_confirmations, subscription_confirmation_send
from newsletter.tests import factories
from privacy.registry import registry

pytestmark = pytest.mark.django_db

URL = "/newsletter/"


def _post(client, capture, email, **extra):
    version = ConsentText.objects.current("de").version
    data = {"email": email, "name": "", "consent": "on", "consent_version": version, **extra}
    with capture(execute=True):
        return client.post(URL, data, REMOTE_ADDR="203.0.113.7")


def _link(message) -> str:
    match = re.search(r"https?://\S+/newsletter/bestaetigen/\S+/", message.body)
    assert match, "no link in the mail"
    return match.group(0)


def test_form_shows_the_versioned_consent_text(client):
    response = client.get(URL)
    consent = ConsentText.objects.current("de")
    assert consent.text in response.content.decode()
    assert f'value="{consent.version}"' in response.content.decode()
    english = client.get("/en/newsletter/")
    assert ConsentText.objects.current("en").text in english.content.decode()


def test_same_answer_for_new_pending_subscribed_and_blocked(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    factories.subscriber("subscribed@example.org")
    factories.subscriber("pending@example.org", status="pending", confirm_nonce="abc")
    suppression.suppress(
        "blocked@example.org", scope="newsletter", reason="opt-out", channel="letter"
    )
    answers = []
    for email in (
        "new@example.org",
        "pending@example.org",
        "subscribed@example.org",
        "blocked@example.org",
    ):
        response = _post(client, django_capture_on_commit_callbacks, email)
        answers.append((response.status_code, response["Location"]))
        follow = client.get(response["Location"])
        answers.append((follow.status_code, follow.content))
    assert answers[0::2] == [answers[0]] * 4
    assert answers[1::2] == [answers[1]] * 4
    assert sorted(m.to[0] for m in mailoutbox) == ["new@example.org", "pending@example.org"]
    assert not Subscriber.objects.filter(email="blocked@example.org").exists()


def test_double_opt_in_records_evidence_and_no_ip(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    _post(client, django_capture_on_commit_callbacks, "Neu@Example.org", name="Neue Person")
    (mail,) = mailoutbox
    link = _link(mail)
    assert "neu@example.org" not in link.lower() and "neu%40" not in link.lower()
    subscriber = Subscriber.objects.get(email="neu@example.org")
    assert subscriber.status == "pending"
    page = client.get(link)  # a link scanner opening the mail confirms nothing
    assert "Newsletter bestätigen" in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"
    response = client.post(link)
    assert "Anmeldung bestätigt" in response.content.decode()
    subscriber.refresh_from_db()
    consent = ConsentText.objects.current("de")
    assert subscriber.status == "subscribed"
    assert (subscriber.consent_version, subscriber.consent_hash) == (
        consent.version,
        consent.sha256,
    )
    assert subscriber.language == "de" and subscriber.form == "newsletter-page"
    assert subscriber.requested_at <= subscriber.confirmed_at
    assert subscriber.confirmation_message_id == mail.extra_headers["Message-ID"]
    assert subscriber.name == "Neue Person"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM newsletter_subscriber")
        assert "203.0.113.7" not in repr(cursor.fetchall())


def test_link_works_once(client, mailoutbox, django_capture_on_commit_callbacks):
    _post(client, django_capture_on_commit_callbacks, "once@example.org")
    link = _link(mailoutbox[0])
    assert "Anmeldung bestätigt" in client.post(link).content.decode()
    again = client.post(link)
    assert "Link ungültig" in again.content.decode()
    assert "abgelaufen oder wurde schon verwendet" in client.get(link).content.decode()


def test_one_confirmation_mail_per_address_per_24_hours(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT = 100  # as if from many clients
    for _ in range(20):
        response = _post(client, django_capture_on_commit_callbacks, "twice@example.org")
        assert response.status_code == 302
    assert len(mailoutbox) == 1
    (link,) = (_link(m) for m in mailoutbox)
    assert "Anmeldung bestätigt" in client.post(link).content.decode()


def test_after_24_hours_a_new_request_replaces_the_old_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    _post(client, django_capture_on_commit_callbacks, "twice@example.org")
    Subscriber.objects.update(confirmation_sent_at=timezone.now() - timedelta(hours=25))
    _post(client, django_capture_on_commit_callbacks, "twice@example.org")
    old, new = (_link(m) for m in mailoutbox)
    assert "Link ungültig" in client.post(old).content.decode()
    assert "Anmeldung bestätigt" in client.post(new).content.decode()


def test_confirmation_mail_carries_no_visitor_typed_text(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    _post(client, django_capture_on_commit_callbacks, "typed@example.org", name="Kauf jetzt bei x")
    (message,) = mailoutbox
    assert "Kauf jetzt" not in message.body
    assert all("Kauf jetzt" not in body for body, _kind in message.alternatives)


def test_confirmation_send_is_idempotent(mailoutbox):
    consent = ConsentText.objects.current("de")
    subscriber = services.subscription_request(
        email="once@example.org", name="", language="de", consent=consent
    )
    first = services.subscription_confirmation_send(subscriber_id=subscriber.pk)
    again = services.subscription_confirmation_send(subscriber_id=subscriber.pk)
    assert first and again is None
    assert len(mailoutbox) == 1
    assert Subscriber.objects.get().confirmation_message_id == first


def test_the_confirmation_task_retried_after_a_busy_server_and_run_again_mails_once(smtp_sink):
    consent = ConsentText.objects.current("de")
    subscriber = services.subscription_request(
        email="retry@example.org", name="", language="de", consent=consent
    )
    smtp_sink.refusals.append("451 4.3.0 Bitte später erneut versuchen")
    with pytest.raises(Retry):  # refused: the claim is given back and the task retries
        subscription_confirmation_send.delay(subscriber.pk)
    subscription_confirmation_send.delay(subscriber.pk)  # the retry
    subscription_confirmation_send.delay(subscriber.pk)  # the task delivered a second time
    send_due_confirmations.delay()  # and the sweep
    (message,) = smtp_sink.messages
    assert message["To"] == "retry@example.org"
    assert Subscriber.objects.get().confirmation_message_id == message["Message-ID"]


def test_head_answers_200(client):
    assert client.head(reverse("newsletter:subscribe")).status_code == 200


@pytest.mark.parametrize("name", ["confirm", "unsubscribe", "customer_optout"])
def test_head_on_the_link_pages_answers_200_and_changes_nothing(client, name):
    subscriber = factories.subscriber("kopf@example.org")
    response = client.head(reverse(f"newsletter:{name}", kwargs={"token": "x" * 20}))
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "subscribed"


def test_link_expires_after_72_hours():
    consent = ConsentText.objects.current("de")
    start = timezone.now() - timedelta(hours=73)
    subscriber = services.subscription_request(
        email="late@example.org", name="", language="de", consent=consent, now=start
    )
    token = services.confirmation_url(subscriber).rstrip("/").rsplit("/", 1)[1]
    assert services.subscription_confirm(token=token) is None
    assert services.subscription_confirm(token=token, now=start + timedelta(hours=71)) is not None


def test_unconfirmed_subscriptions_expire_by_registry_rule():
    old = factories.subscriber("old@example.org", status="pending")
    Subscriber.objects.filter(pk=old.pk).update(requested_at=timezone.now() - timedelta(hours=73))
    factories.subscriber("fresh@example.org", status="pending")
    factories.subscriber("confirmed@example.org", requested_at=timezone.now() - timedelta(days=30))
    (rule,) = [r for r in registry.retention_rules if r.key == "newsletter-unconfirmed"]
    expired = rule.expired(now=timezone.now())
    assert list(expired.values_list("email", flat=True)) == ["old@example.org"]


def test_consent_version_shown_is_recorded_even_after_a_new_version(
    client, django_capture_on_commit_callbacks
):
    shown = ConsentText.objects.current("de")
    ConsentText.objects.create(
        version=shown.version + 1, language="de", text="Neu.", published_at=timezone.now()
    )
    _post(
        client, django_capture_on_commit_callbacks, "v@example.org", consent_version=shown.version
    )
    assert Subscriber.objects.get(email="v@example.org").consent_version == shown.version


def test_missing_consent_gives_a_german_message_and_keeps_input(client):
    response = client.post(URL, {"email": "keep@example.org", "consent_version": 1})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Bitte bestätigen Sie die Einwilligung." in body
    assert 'value="keep@example.org"' in body


def test_english_pages_are_translated(client):
    body = client.get(
        reverse("newsletter:subscribe").replace("/newsletter/", "/en/newsletter/")
    ).content.decode()
    assert "Subscribe to the newsletter" in body


def test_sign_ups_are_limited_per_client_not_per_address(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT = 2
    for _ in range(3):  # a form with an error costs nothing
        assert _post(client, django_capture_on_commit_callbacks, "kein-at").status_code == 200
    for email in ("a@example.org", "b@example.org"):
        assert _post(client, django_capture_on_commit_callbacks, email).status_code == 302
    answers = set()
    for email in ("c@example.org", "subscribed@example.org"):
        response = _post(client, django_capture_on_commit_callbacks, email)
        page = response.content.decode()
        assert response.status_code == 429 and "Zu viele Anfragen" in page
        assert f'value="{email}"' in page  # the typed address is kept
        answers.add(re.sub(r'(nonce|value)="[^"]*"', "", page.replace(email, "ADDRESS")))
    assert len(answers) == 1  # the same answer whoever the address is
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.org", "b@example.org"]
    other = client.post(
        URL,
        {
            "email": "d@example.org",
            "consent": "on",
            "consent_version": ConsentText.objects.current("de").version,
        },
        REMOTE_ADDR="198.51.100.20",
    )
    assert other.status_code == 302


def test_sign_up_fails_open_with_a_log_line_when_the_cache_is_down(
    client, settings, caplog, django_capture_on_commit_callbacks
):
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    settings.CONTACT_RATE_LIMIT_CACHE = "down"
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT = 0
    response = _post(client, django_capture_on_commit_callbacks, "e@example.org")
    assert response.status_code == 302
    assert "newsletter-signup.rate_limit.cache_unavailable" in caplog.text


def test_the_sign_up_limit_stores_no_address(
    client, settings, redis_client, django_capture_on_commit_callbacks
):
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        },
    }
    settings.CONTACT_RATE_LIMIT_CACHE = "ratelimit"
    _post(client, django_capture_on_commit_callbacks, "f@example.org")
    keys = [key.decode() for key in redis_client.keys(f"{prefix}*")]
    assert len(keys) == 1 and "203.0.113.7" not in keys[0]
    assert 0 < redis_client.ttl(keys[0]) <= settings.NEWSLETTER_SIGNUP_RATE_LIMIT_WINDOW
    assert redis_client.get(keys[0]) == b"1"
    redis_client.delete(*keys)
