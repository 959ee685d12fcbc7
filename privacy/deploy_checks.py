"""Deploy checks (``manage.py check --deploy``): production settings that would quietly lose data.

Each has its own id (optigem.E101 …) and a hint; production.py already refuses a start when
one of these variables is missing, these catch values that are present but unsafe.
"""

import base64
import binascii
import hashlib

from django.conf import settings
from django.core.checks import Error, Tags, register

UNSAFE_BROKERS = ("memory://", "filesystem://")
UNSAFE_CACHES = ("LocMemCache", "DummyCache")
UNSAFE_MAIL = (".console.", ".filebased.", ".locmem.", ".dummy.")
GUARDED = "privacy.mail.GuardedBackend"
MIN_KEY_LENGTH = 32
IMPRINT_FIELDS = ("managing_directors", "register_court", "register_number", "vat_id")


@register(Tags.security, deploy=True)
def check_broker(app_configs=None, **kwargs):
    url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if not url or url.startswith(UNSAFE_BROKERS):
        return [
            Error(
                f"The Celery broker is {url or 'not set'!r}: queued tasks vanish on a restart "
                "and never reach a worker on another process.",
                hint="Set REDIS_URL (or CELERY_BROKER_URL) to the production Redis.",
                id="optigem.E101",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_cache(app_configs=None, **kwargs):
    return [
        Error(
            f"The cache {alias!r} is {config['BACKEND'].rsplit('.', 1)[-1]}: rate limits and "
            "throttles count per worker process (or not at all).",
            hint="Set CACHE_URL to a shared cache, e.g. rediscache://127.0.0.1:6379/2.",
            id="optigem.E102",
        )
        for alias, config in settings.CACHES.items()
        if config.get("BACKEND", "").endswith(UNSAFE_CACHES)
    ]


@register(Tags.security, deploy=True)
def check_mail(app_configs=None, **kwargs):
    errors = []
    for alias, config in getattr(settings, "MAILERS", {}).items():
        backend = config.get("BACKEND", "")
        if backend != GUARDED:
            errors.append(
                Error(
                    f"The mailer {alias!r} ({backend}) does not pass the mail guards.",
                    hint="Build MAILERS with optigem_site.settings.env.guarded_mailers().",
                    id="optigem.E103",
                )
            )
            continue
        inner = config.get("OPTIONS", {}).get("backend", "")
        if any(part in inner for part in UNSAFE_MAIL):
            errors.append(
                Error(
                    f"The mailer {alias!r} delivers nowhere ({inner}): no mail reaches anyone.",
                    hint="Set EMAIL_URL to the production SMTP server (smtp+tls://user:pass@host:587).",
                    id="optigem.E104",
                )
            )
    return errors


def _derived(value: str, *, secret: str) -> bool:
    if not value or (secret and secret in value):
        return True
    digests = [
        hashlib.sha256(f"cloud-encryption:{secret}".encode()).digest(),
        hashlib.sha256(b"optigem.address-digest:" + secret.encode()).digest(),
    ]
    forms = {d.hex() for d in digests} | {base64.urlsafe_b64encode(d).decode() for d in digests}
    return value in forms


@register(Tags.security, deploy=True)
def check_keys(app_configs=None, **kwargs):
    errors = []
    secret = settings.SECRET_KEY
    address_key = settings.ADDRESS_HASH_KEY
    if _derived(address_key, secret=secret) or len(address_key) < MIN_KEY_LENGTH:
        errors.append(
            Error(
                "ADDRESS_HASH_KEY is empty, shorter than 32 characters or derived from SECRET_KEY: "
                "rotating the secret key would make every suppression digest stop matching.",
                hint="Generate one: python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
                id="optigem.E105",
            )
        )
    keys = [k.strip() for k in settings.CLOUD_ENCRYPTION_KEY.split(",") if k.strip()]
    bad = not keys or any(_derived(k, secret=secret) for k in keys)
    for key in keys:
        try:
            bad = bad or len(base64.urlsafe_b64decode(key)) != 32
        except (binascii.Error, ValueError):
            bad = True
    if bad:
        errors.append(
            Error(
                "CLOUD_ENCRYPTION_KEY is empty, not a Fernet key (32 bytes, url-safe base64) or "
                "derived from SECRET_KEY: refund accounts would be lost with the secret key.",
                hint="Generate one: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'.",
                id="optigem.E106",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_database(app_configs=None, **kwargs):
    return [
        Error(
            f"The database {alias!r} is SQLite: one writer at a time, no row locks for the "
            "newsletter claims and the deletion run.",
            hint="Set DATABASE_URL to PostgreSQL (postgres://user:pass@host:5432/name).",
            id="optigem.E107",
        )
        for alias, config in settings.DATABASES.items()
        if "sqlite" in config.get("ENGINE", "")
    ]


@register(Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs):
    if not settings.SITE_URL.startswith("https://"):
        return [
            Error(
                f"SITE_URL {settings.SITE_URL!r} is not https: links in mails (confirmations, "
                "unsubscribes, invitations) would travel and open unencrypted.",
                hint="Set SITE_URL to the public https address, e.g. https://www.optigem.com.",
                id="optigem.E108",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_imprint(app_configs=None, **kwargs):
    missing = [
        name for name in IMPRINT_FIELDS if not str(settings.CONTROLLER.get(name, "")).strip()
    ]
    if missing:
        return [
            Error(
                f"The imprint lacks what § 5 DDG requires: {', '.join(missing)}.",
                hint="Set CONTROLLER_MANAGING_DIRECTORS, CONTROLLER_REGISTER_COURT, "
                "CONTROLLER_REGISTER_NUMBER and CONTROLLER_VAT_ID.",
                id="optigem.E109",
            )
        ]
    return []
