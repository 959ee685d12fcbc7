"""Django's own records of people are declared: found by address, erased, and expired."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts.models import UserSession
from accounts.services import backup_codes_create
from cloud.tests.factories import PASSWORD, make_member, make_organisation, make_user
from privacy.deletion import deletion_run
from privacy.registry import registry

pytestmark = pytest.mark.django_db


def _rule(key):
    return next(rule for rule in registry.retention_rules if rule.key == key)


def test_a_persons_sessions_are_found_by_address_and_erasing_them_signs_them_out(client):
    member = make_member(organisation=make_organisation())
    client.post(reverse("cloud:login"), {"email": member.user.email, "password": PASSWORD})
    make_member(organisation=make_organisation())  # someone else, signed in elsewhere
    holder = registry.holders["accounts.UserSession"]
    rows = holder.rows_for(member.user.email.upper())
    assert rows.count() == 1
    assert holder.erase_rows(rows) == 1
    profile = client.get(reverse("cloud:profile"))
    assert profile["Location"].startswith(reverse("cloud:login"))


def test_expired_sessions_go_a_day_after_they_end():
    for key, ends in (("alt", timedelta(days=-2)), ("frisch", timedelta(hours=-1))):
        UserSession.objects.create(
            session_key=key, session_data="", expire_date=timezone.now() + ends
        )
    deletion_run(rules=[_rule("accounts-sessions-expired")])
    assert list(UserSession.objects.values_list("session_key", flat=True)) == ["frisch"]


def test_admin_history_naming_an_address_is_found_and_expires_after_30_days():
    staff = get_user_model().objects.create_user(
        username="mitarbeiter", email="mitarbeiter@optigem.com", is_staff=True
    )
    person = make_user(email="erika@example.org")
    LogEntry.objects.log_actions(staff.pk, [person], CHANGE, change_message="E-Mail geändert")
    holder = registry.holders["admin.LogEntry"]
    assert holder.rows_for("ERIKA@example.org").count() == 1  # str(user) is the address
    assert holder.rows_for("mitarbeiter@optigem.com").count() == 1
    rule = _rule("accounts-admin-history")
    deletion_run(rules=[rule], now=timezone.now() + timedelta(days=29))
    assert LogEntry.objects.count() == 1
    deletion_run(rules=[rule], now=timezone.now() + timedelta(days=31))
    assert LogEntry.objects.count() == 0


def test_backup_codes_are_found_and_exported_without_the_codes():
    user = make_user()
    codes = backup_codes_create(user=user)
    holder = registry.holders["otp_static.StaticToken"]
    exported = holder.export(holder.rows_for(user.email))
    assert len(exported) == 10
    assert not any(code in str(exported) for code in codes)
    assert registry.holders["otp_static.StaticDevice"].rows_for(user.email).count() == 1


def test_erasure_deletes_a_cx_users_account_but_not_a_staff_account():
    cx = make_user(email="cx@example.org")
    staff = get_user_model().objects.create_user(
        username="staff", email="staff@optigem.com", is_staff=True
    )
    holder = registry.holders["auth.User"]
    holder.erase_rows(holder.rows_for("cx@example.org"))
    holder.erase_rows(holder.rows_for("staff@optigem.com"))
    users = get_user_model().objects
    assert not users.filter(pk=cx.pk).exists() and users.filter(pk=staff.pk).exists()


def test_accounts_that_can_sign_in_nowhere_go_after_a_month():
    month_ago = timezone.now() - timedelta(days=40)
    users = get_user_model().objects
    orphan = users.create_user(username="verwaist", email="verwaist@example.org")
    staff = users.create_user(username="staff", email="staff@optigem.com", is_staff=True)
    cx = make_user()
    member = make_member(organisation=make_organisation()).user
    member.cloud_account.delete()  # a role but no profile: still a CX user
    users.update(date_joined=month_ago)
    deletion_run(rules=[_rule("accounts-orphaned")])
    assert set(users.values_list("pk", flat=True)) == {staff.pk, cx.pk, member.pk}
    assert not users.filter(pk=orphan.pk).exists()


def test_an_abandoned_enrolment_is_removed_after_a_day():
    from accounts.models import TOTPDevice
    from accounts.services import totp_device_confirm, totp_device_pending

    pending = totp_device_pending(user=make_user())
    confirmed = totp_device_pending(user=make_user())
    totp_device_confirm(device=confirmed)
    TOTPDevice.objects.update(created_at=timezone.now() - timedelta(days=2))
    deletion_run(rules=[_rule("accounts-pending-second-factor")])
    assert list(TOTPDevice.objects.values_list("pk", flat=True)) == [confirmed.pk]
    assert not TOTPDevice.objects.filter(pk=pending.pk).exists()


def test_admin_history_is_found_by_the_addresses_its_texts_name(postgres):
    """The index of addresses (migration 0003) knows an address wherever a text names it, in
    any case, and not inside a longer address."""
    staff = get_user_model().objects.create_user(username="mitarbeiterin", is_staff=True)
    texts = {
        "Erika Mustermann <Erika.M+Info@Example.ORG>": True,
        "Anfrage von erika.m+info@example.org.": True,
        "(erika.m+info@example.org)": True,
        "email=erika.m+info@example.org": True,
        "Kontakt/erika.m+info@example.org?": True,
        "erika.m+info@example.org!|weitere": True,
        "frau.erika.m+info@example.org": False,
        "erika.m+info@example.org.uk": False,
        "Erika Mustermann": False,
    }
    for text in texts:
        LogEntry.objects.create(
            user=staff, action_flag=CHANGE, object_repr=text, change_message="[]"
        )
    LogEntry.objects.create(
        user=staff,
        action_flag=CHANGE,
        object_repr="Anfrage Nr. 7",
        change_message='[{"changed": {"fields": ["erika.m+info@example.org"]}}]',
    )
    found = registry.holders["admin.LogEntry"].rows_for(" erika.M+info@example.org ")
    expected = {text for text, names in texts.items() if names} | {"Anfrage Nr. 7"}
    assert set(found.values_list("object_repr", flat=True)) == expected
