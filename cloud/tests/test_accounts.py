"""Sign-in with e-mail and password, TOTP for administrators, invitations, own account."""

import base64
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from cloud import crypto, services, totp
from cloud.models import Account, Invitation, Membership, Receipt, Role
from privacy.registry import MailGuard, registry

from .factories import PASSWORD, make_member, make_organisation, make_receipt, make_user, sign_in

pytestmark = pytest.mark.django_db


# RFC 6238, appendix B (SHA-1 seed "12345678901234567890"), eight digits there, six here.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("timestamp", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_totp_matches_the_rfc_6238_test_vectors(timestamp, eight_digits):
    assert totp.code_at(RFC_SECRET, timestamp) == eight_digits[-6:]


def test_a_totp_code_works_once_and_only_near_its_time():
    secret = totp.new_secret()
    code = totp.code_at(secret, 1_000_000)
    step = totp.matching_step(secret, code, timestamp=1_000_000)
    assert step is not None
    assert totp.matching_step(secret, code, timestamp=1_000_000, after_step=step) is None
    assert totp.matching_step(secret, code, timestamp=1_000_000 + 120) is None


def _sign_in(client, email, password=PASSWORD):
    return client.post(reverse("cloud:login"), {"email": email, "password": password})


def test_sign_in_with_email_and_password(client):
    member = make_member(organisation=make_organisation())
    assert "falsch" in _sign_in(client, member.user.email, "falsch").content.decode()
    response = _sign_in(client, member.user.email.upper())
    assert response.status_code == 302
    assert (
        client.get(reverse("cloud:receipts", kwargs={"org": member.organisation.slug})).status_code
        == 200
    )


def test_a_staff_account_without_cloud_profile_cannot_sign_in_to_the_cloud(client):
    get_user_model().objects.create_user(
        username="staff@optigem.com", email="staff@optigem.com", password=PASSWORD, is_staff=True
    )
    assert "falsch" in _sign_in(client, "staff@optigem.com").content.decode()


def test_administrators_must_set_up_and_use_a_second_factor(client):
    admin = make_member(organisation=make_organisation(), role=Role.ADMIN)
    tokens_url = reverse("cloud:tokens", kwargs={"org": admin.organisation.slug})
    _sign_in(client, admin.user.email)
    response = client.get(tokens_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("cloud:totp_setup"))
    page = client.get(response["Location"])
    secret = page.context["secret"]
    assert client.post(response["Location"], {"code": "000000"}).status_code == 200
    code = totp.code_at(secret, timezone.now().timestamp())
    assert (
        client.post(response["Location"], {"code": code, "next": tokens_url})["Location"]
        == tokens_url
    )
    assert client.get(tokens_url).status_code == 200
    account = Account.objects.get(user=admin.user)
    assert account.has_totp and secret not in account.totp_secret
    assert crypto.decrypt(account.totp_secret) == secret

    # A new session asks for the code at sign-in; a replayed code is refused.
    client.logout()
    response = _sign_in(client, admin.user.email)
    assert response["Location"].startswith(reverse("cloud:login_code"))
    assert client.get(tokens_url).status_code == 302
    refused = client.post(reverse("cloud:login_code"), {"code": code})
    assert "falsch" in refused.content.decode()
    account.totp_last_step = totp.step_at(timezone.now().timestamp()) - 2
    account.save()
    fresh = totp.code_at(secret, timezone.now().timestamp())
    assert client.post(reverse("cloud:login_code"), {"code": fresh}).status_code == 302
    assert client.get(tokens_url).status_code == 200


def _invite(client, admin, email="neu@example.org", role=Role.REVIEWER):
    url = reverse("cloud:members", kwargs={"org": admin.organisation.slug})
    return client.post(url, {"email": email, "role": role})


def test_an_invitation_arrives_by_smtp_and_its_link_works_once(
    client, smtp_sink, settings, django_capture_on_commit_callbacks
):
    admin = make_member(organisation=make_organisation(), role=Role.MAIN_ADMIN)
    sign_in(client, admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(client, admin).status_code == 302
    (message,) = smtp_sink.wait_for(1)
    body = message.get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/cx/einladung/\S+/", body).group(0)
    assert "neu@example.org" not in link
    path = link.removeprefix(settings.SITE_URL)
    client.logout()
    accept = reverse("cloud:invitation_accept")
    assert client.get(path)["Location"] == accept  # the token leaves the address bar
    form = {"name": "Neue Prüferin", "password": PASSWORD, "password_again": PASSWORD}
    response = client.post(accept, form)
    assert response.status_code == 302
    membership = Membership.all_tenants.get(user__email="neu@example.org")
    assert membership.role == Role.REVIEWER
    client.logout()
    client.get(path)
    again = client.post(accept, form)
    assert "bereits angenommen" in again.content.decode()
    assert Membership.all_tenants.filter(user__email="neu@example.org").count() == 1


def test_an_expired_or_forged_invitation_is_refused(client):
    org = make_organisation()
    invitation = services.invitation_create(
        organisation=org, email="a@example.org", role=Role.SUBMITTER
    )
    token = services.invitation_token(invitation)
    Invitation.all_tenants.filter(pk=invitation.pk).update(expires_at=timezone.now())
    expired = client.get(reverse("cloud:invitation_open", args=[token]), follow=True)
    assert "abgelaufen" in expired.content.decode()
    forged = signing.dumps(invitation.pk, salt="anders")
    refused = client.get(reverse("cloud:invitation_open", args=[forged]), follow=True)
    assert "ungültig" in refused.content.decode()
    assert not Membership.all_tenants.exists()


def test_an_invitation_to_a_blocked_address_is_not_sent(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    guard = MailGuard(
        key="test-cloud-block", blocks=lambda address, kind: address == "gesperrt@example.org"
    )
    registry.register(guard)
    try:
        admin = make_member(organisation=make_organisation(), role=Role.MAIN_ADMIN)
        sign_in(client, admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            _invite(client, admin, email="gesperrt@example.org")
    finally:
        del registry.mail_guards["test-cloud-block"]
    invitation = Invitation.all_tenants.get()
    assert (invitation.blocked_by, invitation.sent_at) == ("test-cloud-block", None)
    assert smtp_sink.received == []


def test_the_last_main_administrator_can_neither_leave_nor_be_demoted(client):
    org = make_organisation()
    admin = make_member(organisation=org, role=Role.MAIN_ADMIN)
    sign_in(client, admin.user)
    url = reverse("cloud:member_role", kwargs={"org": org.slug, "pk": admin.pk})
    client.post(url, {"role": Role.SUBMITTER})
    admin.refresh_from_db()
    assert admin.role == Role.MAIN_ADMIN
    response = client.post(reverse("cloud:profile"), {"password": PASSWORD}, follow=True)
    assert "einzige Haupt-Administrator" in response.content.decode()
    assert get_user_model().objects.filter(pk=admin.user.pk).exists()


def test_a_user_deletes_their_own_account_and_the_receipts_stay_with_the_organisation(client):
    org = make_organisation()
    make_member(organisation=org, role=Role.MAIN_ADMIN)
    second = make_member(organisation=org, role=Role.MAIN_ADMIN)
    receipt = make_receipt(membership=second)
    sign_in(client, second.user)
    assert "falsch" in client.post(reverse("cloud:profile"), {"password": "x"}).content.decode()
    response = client.post(reverse("cloud:profile"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=second.user.pk).exists()
    assert not Membership.all_tenants.filter(pk=second.pk).exists()
    receipt.refresh_from_db()
    assert receipt.submitter is None
    assert Receipt.all_tenants.filter(organisation=org).count() == 1


def test_unknown_user_sees_no_cloud_pages(client):
    make_user()
    assert client.get(reverse("cloud:profile"))["Location"].startswith(reverse("cloud:login"))


def test_the_cloud_speaks_english_under_en(client):
    assert "Sign in to OPTIGEM CX" in client.get("/en/cx/anmelden/").content.decode()
    assert "Anmelden bei OPTIGEM CX" in client.get("/cx/anmelden/").content.decode()


def test_an_invitee_with_an_account_signs_in_and_then_joins(client):
    existing = make_member(organisation=make_organisation())
    org = make_organisation()
    invitation = services.invitation_create(
        organisation=org, email=existing.user.email, role=Role.ADMIN
    )
    client.get(reverse("cloud:invitation_open", args=[services.invitation_token(invitation)]))
    accept = reverse("cloud:invitation_accept")
    response = client.post(accept, {"name": "X", "password": "y", "password_again": "y"})
    assert response["Location"].startswith(reverse("cloud:login"))
    assert not Membership.all_tenants.filter(organisation=org).exists()
    sign_in(client, existing.user, second_factor=False)
    assert client.post(accept)["Location"] == reverse("cloud:receipts", kwargs={"org": org.slug})
    assert Membership.all_tenants.get(organisation=org).user == existing.user
    existing.user.refresh_from_db()
    assert existing.user.check_password(PASSWORD)


def test_password_guessing_is_slowed_down_after_three_failures(client):
    member = make_member(organisation=make_organisation())
    for _ in range(3):
        assert "falsch" in _sign_in(client, member.user.email, "geraten").content.decode()
    response = _sign_in(client, member.user.email)
    assert "Zu viele Fehlversuche. Bitte warten Sie 1 Sekunde" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_throttle_counts_across_processes_in_redis(redis_client, settings):
    from django.core.cache import caches

    from cloud import throttle

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "cloud-test",
        }
    }
    subject = f"redis-{timezone.now().timestamp()}@example.org"
    try:
        for _ in range(throttle.MAX_FAILURES - 1):
            throttle.record_failure("sign-in", subject)
        assert not throttle.blocked("sign-in", subject)
        throttle.record_failure("sign-in", subject)
        assert throttle.blocked("sign-in", subject)
        assert any(b"cloud:throttle" in key for key in redis_client.keys("cloud-test*"))
        throttle.reset("sign-in", subject)
        assert not throttle.blocked("sign-in", subject)
    finally:
        caches["default"].close()


def test_optigem_sets_up_an_organisation_and_invites_its_main_administrator(
    smtp_sink, django_capture_on_commit_callbacks
):
    from django.core.management import CommandError, call_command

    with django_capture_on_commit_callbacks(execute=True):
        call_command("cloud_create_organisation", "Gemeinde Nord", "nord", "chefin@example.org")
    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == "chefin@example.org"
    assert Invitation.all_tenants.get().role == Role.MAIN_ADMIN
    with pytest.raises(CommandError, match="reserviert"):
        call_command("cloud_create_organisation", "Login", "anmelden", "x@example.org")
