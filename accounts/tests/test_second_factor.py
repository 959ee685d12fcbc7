"""The admin's second factor (django-otp), through HTTP."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from accounts.models import TOTPDevice
from privacy.models import AuditEntry
from tests.browser.helpers import totp_code

pytestmark = pytest.mark.django_db
PASSWORD = "staff-pass-2026!"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def no_throttle(settings):
    """A wrong code, then at once the right one (throttling has its own test)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def make_staff(username="sven", **extra):
    return get_user_model().objects.create_user(
        username, f"{username}@optigem.invalid", PASSWORD, is_staff=True, **extra
    )


def password_step(client, username="sven"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": PASSWORD, "next": "/admin/"},
    )


def enrol(client):
    page = client.get(reverse("accounts:enrol"), {"next": "/admin/"})
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    done = client.post(reverse("accounts:enrol"), {"code": totp_code(secret), "next": "/admin/"})
    return secret, done


def test_without_a_device_the_password_leads_to_enrolment_and_no_admin_page():
    from django.test import Client

    client = Client()
    make_staff()
    response = password_step(client)
    assert response.status_code == 302
    assert client.get("/admin/").url.startswith(reverse("accounts:enrol"))
    for path in ("/admin/contact/inquiry/", "/admin/auth/user/", "/admin/login/"):
        assert client.get(path).url.startswith(reverse("accounts:enrol")), path
    page = client.get(reverse("accounts:enrol"))
    body = page.content.decode()
    assert "<svg" in body and "otpauth://totp/OPTIGEM%3Asven?" in body
    assert "Zweiten Faktor einrichten" in body


def test_enrolment_with_a_wrong_code_says_so_then_the_right_one_shows_ten_codes_once(
    no_throttle,
):
    from django.test import Client

    client = Client()
    make_staff()
    password_step(client)
    wrong = client.post(reverse("accounts:enrol"), {"code": "000000"})
    assert "Der Code stimmt nicht" in wrong.content.decode()
    _secret, done = enrol(client)
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    # Shown once: the enrolment page is gone, it leads to the admin now.
    assert client.get(reverse("accounts:enrol")).status_code == 302


def test_the_key_is_encrypted_at_rest():
    from django.test import Client

    client = Client()
    make_staff()
    password_step(client)
    secret, _done = enrol(client)
    device = TOTPDevice.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_key FROM accounts_totpdevice")
        stored = cursor.fetchone()[0]
    assert device.bin_key.hex() not in stored and secret not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token


def test_with_a_device_a_code_is_asked_and_a_backup_code_works_once(no_throttle):
    from django.test import Client

    first = Client()
    make_staff()
    password_step(first)
    _secret, done = enrol(first)
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())

    second = Client()
    password_step(second)
    assert second.get("/admin/").url.startswith(reverse("accounts:verify"))
    wrong = second.post(reverse("accounts:verify"), {"code": "12345678"})
    assert "Der Code stimmt nicht" in wrong.content.decode()
    assert 'value="12345678"' in wrong.content.decode()
    ok = second.post(reverse("accounts:verify"), {"code": codes[0], "next": "/admin/"})
    assert ok.url == "/admin/"
    assert second.get("/admin/").status_code == 200

    third = Client()
    password_step(third)
    again = third.post(reverse("accounts:verify"), {"code": codes[0]})
    assert again.status_code == 200 and "Der Code stimmt nicht" in again.content.decode()


def test_a_superuser_resets_a_colleagues_device_and_it_is_audited(client):
    colleague = make_staff("carla")
    TOTPDevice.objects.create(user=colleague, name="app", confirmed=True)
    boss = make_staff("boss", is_superuser=True)
    client.force_login(boss)
    device = TOTPDevice.objects.get(user=colleague)
    response = client.post(
        reverse("admin:accounts_totpdevice_changelist"),
        {"action": "reset_second_factor", "_selected_action": [device.pk]},
        follow=True,
    )
    assert "wurde zurückgesetzt" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=colleague).exists()
    entry = AuditEntry.objects.get(note="Zweiter Faktor zurückgesetzt")
    assert entry.actor == boss and entry.object_id == str(colleague.pk)


def test_a_staff_member_who_is_not_superuser_cannot_reset(client):
    colleague = make_staff("carla")
    device = TOTPDevice.objects.create(user=colleague, name="app", confirmed=True)
    client.force_login(make_staff("ina"))
    response = client.post(
        reverse("admin:accounts_totpdevice_changelist"),
        {"action": "reset_second_factor", "_selected_action": [device.pk]},
    )
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=colleague).exists()


def test_wrong_codes_in_a_row_are_throttled():
    from django.test import Client

    client = Client()
    make_staff()
    password_step(client)
    enrol(client)
    other = Client()
    password_step(other)
    other.post(reverse("accounts:verify"), {"code": "000000"})
    response = other.post(reverse("accounts:verify"), {"code": "111111"})
    assert "Zu viele falsche Codes" in response.content.decode()


def test_demo_setup_gives_the_demo_account_a_device_and_printable_backup_codes(
    settings, tmp_path, client
):
    from io import StringIO

    from django.core.management import call_command

    settings.DEMO_MODE = True
    settings.VAR_DIR = tmp_path
    call_command("demo_setup", stdout=StringIO())
    code = (tmp_path / "demo-backup-codes.txt").read_text().split()[0]
    client.post(
        reverse("admin:login"),
        {"username": "demo", "password": "demo-optigem-2026", "next": "/admin/"},
    )
    assert client.get("/admin/").url.startswith(reverse("accounts:verify"))
    client.post(reverse("accounts:verify"), {"code": code})
    assert client.get("/admin/").status_code == 200
