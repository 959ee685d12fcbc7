"""Move the CX second factor to django-otp: each cloud account's TOTP secret becomes an
accounts.TOTPDevice (same key, re-encrypted as raw bytes; confirmed state and last used time
step kept, so an app set up before keeps working and a used code stays used)."""

from base64 import b32decode, b32encode

from django.db import migrations

from accounts import crypto


def forwards(apps, schema_editor):
    Account = apps.get_model("cloud", "Account")
    TOTPDevice = apps.get_model("accounts", "TOTPDevice")
    for account in Account.objects.exclude(totp_secret="").iterator():
        confirmed = account.totp_confirmed_at is not None
        existing = TOTPDevice.objects.filter(user_id=account.user_id)
        # A staff member with an authenticator already keeps it; an unconfirmed CX secret is
        # not worth a second pending device.
        if existing.filter(confirmed=True).exists() or (not confirmed and existing.exists()):
            continue
        secret = crypto.decrypt(account.totp_secret).decode()
        TOTPDevice.objects.create(
            user_id=account.user_id,
            name="app",
            confirmed=confirmed,
            encrypted_key=crypto.encrypt(b32decode(secret, casefold=True)),
            last_t=account.totp_last_step if confirmed else -1,
        )


def backwards(apps, schema_editor):
    Account = apps.get_model("cloud", "Account")
    TOTPDevice = apps.get_model("accounts", "TOTPDevice")
    for device in TOTPDevice.objects.filter(user__cloud_account__isnull=False).iterator():
        secret = b32encode(crypto.decrypt(device.encrypted_key)).decode()
        Account.objects.filter(user_id=device.user_id).update(
            totp_secret=crypto.encrypt(secret.encode()),
            totp_confirmed_at=device.created_at if device.confirmed else None,
            totp_last_step=max(device.last_t, 0),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cloud", "0004_receipt_decision_mailed"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
