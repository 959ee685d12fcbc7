"""Sign-in with e-mail and password, the second factor for administrators, invitations, own
account."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import TOTPDevice
from accounts.services import totp_device_confirm, totp_device_pending
from cloud.models import Invitation, Membership, Receipt, Role
from cloud.services.invitations import invitation_create, invitation_token
from privacy.registry import MailGuard, registry
from tests.browser.helpers import totp_code

from .factories import PASSWORD, make_member, make_organisation, make_receipt, make_user, sign_in

pytestmark = pytest.mark.django_db


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


def no_otp_throttle(settings):
    """A wrong code, then at once the right one (django-otp's throttling has its own test)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_administrators_must_set_up_and_use_a_second_factor(client, settings):
    no_otp_throttle(settings)
    admin = make_member(organisation=make_organisation(), role=Role.ADMIN)
    tokens_url = reverse("cloud:tokens", kwargs={"org": admin.organisation.slug})
    _sign_in(client, admin.user.email)
    response = client.get(tokens_url)
    assert response.status_code == 302
    setup_url = response["Location"]
    assert setup_url.startswith(reverse("cloud:second_factor"))
    page = client.get(setup_url)
    html = page.content.decode()
    assert "<svg" in html and "otpauth://totp/" in html  # the QR code, drawn on the server
    secret = page.context["secret"]
    wrong = client.post(setup_url, {"code": "000000"})
    assert "Der Code stimmt nicht" in wrong.content.decode()
    assert client.get(tokens_url).status_code == 302
    done = client.post(setup_url, {"code": totp_code(secret), "next": tokens_url})
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    assert client.get(tokens_url).status_code == 200
    # The key is stored encrypted, in the same device model the staff use.
    device = TOTPDevice.objects.get(user=admin.user, confirmed=True)
    assert secret not in device.encrypted_key
    assert device.secret_b32 == secret

    # A new session asks for the code at sign-in; a replayed code is refused.
    client.logout()
    response = _sign_in(client, admin.user.email)
    assert response["Location"].startswith(reverse("cloud:login_code"))
    assert client.get(tokens_url).status_code == 302
    refused = client.post(reverse("cloud:login_code"), {"code": totp_code(secret)})
    assert "Der Code stimmt nicht" in refused.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=device.last_t - 2)
    ok = client.post(reverse("cloud:login_code"), {"code": totp_code(secret), "next": tokens_url})
    assert ok["Location"] == tokens_url
    assert client.get(tokens_url).status_code == 200

    # Without the phone: a backup code, once.
    for attempt in ("first", "second"):
        other = Client()
        _sign_in(other, admin.user.email)
        answer = other.post(reverse("cloud:login_code"), {"code": codes[0]})
        if attempt == "first":
            assert answer.status_code == 302
            assert other.get(tokens_url).status_code == 200
        else:
            assert "Der Code stimmt nicht" in answer.content.decode()
    profile = client.get(reverse("cloud:profile")).content.decode()
    assert "noch 9 Codes übrig" in profile


def test_wrong_codes_slow_down_the_code_step(client, settings):
    no_otp_throttle(settings)  # only the sign-in limiter's delay counts here
    admin = make_member(organisation=make_organisation(), role=Role.ADMIN)
    totp_device_confirm(device=totp_device_pending(user=admin.user))
    _sign_in(client, admin.user.email)
    for _ in range(3):
        wrong = client.post(reverse("cloud:login_code"), {"code": "123456"})
        assert "Der Code stimmt nicht" in wrong.content.decode()
    held = client.post(reverse("cloud:login_code"), {"code": "123456"})
    assert "Zu viele Fehlversuche. Bitte warten Sie 1 Sekunde" in held.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_new_set_of_backup_codes_needs_the_second_factor(client):
    member = make_member(organisation=make_organisation())
    totp_device_confirm(device=totp_device_pending(user=member.user))
    sign_in(client, member.user, second_factor=False)
    response = client.post(reverse("cloud:backup_codes_renew"))
    assert response["Location"].startswith(reverse("cloud:second_factor"))
    sign_in(client, member.user)
    renewed = client.post(reverse("cloud:backup_codes_renew"))
    assert len(renewed.context["codes"]) == 10


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
    invitation = invitation_create(organisation=org, email="a@example.org", role=Role.SUBMITTER)
    token = invitation_token(invitation)
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
    assert "Forgotten your password?" in client.get("/en/cx/anmelden/").content.decode()
    sign_in(client, make_member(organisation=make_organisation()).user, second_factor=False)
    enrol = client.get("/en/cx/konto/zwei-faktor/").content.decode()
    assert "Set up two-factor sign-in" in enrol and "Scan the QR code" in enrol
    assert "Zwei-Faktor" not in enrol and "Sechsstellig" not in enrol


def test_an_invitee_with_an_account_signs_in_and_then_joins(client):
    existing = make_member(organisation=make_organisation())
    org = make_organisation()
    invitation = invitation_create(organisation=org, email=existing.user.email, role=Role.ADMIN)
    client.get(reverse("cloud:invitation_open", args=[invitation_token(invitation)]))
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
