"""The data migration that moved the CX second factor from cloud.Account to django-otp."""

from base64 import b32encode

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts import crypto
from tests.browser.helpers import totp_code

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("cloud", "0004_receipt_decision_mailed"), ("accounts", "0001_initial")]
AFTER = [("cloud", "0006_account_totp_fields_removed")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _migrate_to_latest() -> None:
    """Every app back at its newest migration (BEFORE also undid later ones, e.g. accounts')."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_secrets_become_encrypted_devices_with_their_state():
    apps = _migrate(BEFORE)
    try:
        User = apps.get_model("auth", "User")
        Account = apps.get_model("cloud", "Account")
        secrets = {}
        for name, confirmed in (("bestaetigt", True), ("offen", False)):
            user = User.objects.create(username=f"{name}@example.org", email=f"{name}@example.org")
            secret = b32encode(bytes(range(20)) if confirmed else bytes(range(20, 40))).decode()
            Account.objects.create(
                user=user,
                name=name,
                totp_secret=crypto.encrypt(secret.encode()),
                totp_confirmed_at="2026-11-01T10:00:00Z" if confirmed else None,
                totp_last_step=1234 if confirmed else 0,
            )
            secrets[name] = secret
        User.objects.create(username="ohne@example.org", email="ohne@example.org")
    finally:
        apps = _migrate(AFTER)
        _migrate_to_latest()

    from accounts.models import TOTPDevice

    confirmed = TOTPDevice.objects.get(user__username="bestaetigt@example.org")
    pending = TOTPDevice.objects.get(user__username="offen@example.org")
    assert (confirmed.confirmed, confirmed.last_t) == (True, 1234)
    assert (pending.confirmed, pending.last_t) == (False, -1)
    assert confirmed.secret_b32 == secrets["bestaetigt"]
    assert secrets["bestaetigt"] not in confirmed.encrypted_key
    # The authenticator app set up before the move still signs in.
    assert confirmed.verify_token(totp_code(secrets["bestaetigt"]))
    assert not TOTPDevice.objects.filter(user__username="ohne@example.org").exists()
    assert not hasattr(apps.get_model("cloud", "Account"), "totp_secret")


def test_the_move_can_be_undone():
    from accounts.models import TOTPDevice
    from cloud.tests.factories import make_user

    user = make_user()
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True, last_t=77)
    secret = device.secret_b32
    try:
        apps = _migrate(BEFORE)
        account = apps.get_model("cloud", "Account").objects.get(user_id=user.pk)
        assert crypto.decrypt(account.totp_secret).decode() == secret
        assert account.totp_confirmed_at is not None and account.totp_last_step == 77
    finally:
        _migrate_to_latest()
