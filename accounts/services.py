"""Second factor for staff and CX users: enrolment, backup codes, reset."""

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from privacy.audit import audit_log
from privacy.models import AuditAction

from .models import TOTPDevice

BACKUP_CODE_COUNT = 10
BACKUP_DEVICE_NAME = "backup"


def totp_device_pending(*, user) -> TOTPDevice:
    """The user's unconfirmed authenticator (created on first call), shown at enrolment."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="app", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice) -> list[str]:
    """Confirm ``device`` (its first code was right); returns new backup codes, shown once."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    return backup_codes_create(user=device.user)


def backup_codes_create(*, user, count: int = BACKUP_CODE_COUNT) -> list[str]:
    """Replace the user's backup codes with ``count`` new single-use ones."""
    static, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


@transaction.atomic
def second_factor_reset(*, actor, user) -> int:
    """Remove ``user``'s authenticator and backup codes (next sign-in enrols again); audited."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    removed_static, _ = StaticDevice.objects.filter(user=user).delete()
    audit_log(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=user,
        fields=["second_factor"],
        note="Zweiter Faktor zurückgesetzt",
    )
    return removed + removed_static


def has_confirmed_device(*, user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def confirmed_devices(*, user) -> list:
    """What the code step accepts: the user's confirmed authenticator and backup codes."""
    return [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]


def backup_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
