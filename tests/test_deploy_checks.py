"""Each deploy check (privacy/deploy_checks.py) fires on the unsafe value it names."""

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks

from optigem_site.settings.env import guarded_mailers
from privacy import deploy_checks

SAFE = {
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://x",
        }
    },
    "MAILERS": guarded_mailers("smtp+tls://u:p@127.0.0.1:587", timeout=5),
    "SECRET_KEY": "s" * 50,
    "ADDRESS_HASH_KEY": "a" * 48,
    "CLOUD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "SITE_URL": "https://www.optigem.com",
}
IMPRINT = {
    "managing_directors": "Erika Mustermann",
    "register_court": "Amtsgericht Dortmund",
    "register_number": "HRB 1",
    "vat_id": "DE1",
}


@pytest.fixture
def safe(settings):
    for name, value in SAFE.items():
        setattr(settings, name, value)
    settings.CONTROLLER = {**settings.CONTROLLER, **IMPRINT}
    settings.DATABASES = {
        "default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql"}
    }
    return settings


def ids():
    return {
        e.id for e in run_checks(include_deployment_checks=True) if e.id.startswith("optigem.E1")
    }


def test_a_safe_production_configuration_passes(safe):
    assert ids() == set()


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("CELERY_BROKER_URL", "memory://", "optigem.E101"),
        ("CELERY_BROKER_URL", "filesystem://", "optigem.E101"),
        (
            "CACHES",
            {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            "optigem.E102",
        ),
        (
            "CACHES",
            {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
            "optigem.E102",
        ),
        (
            "MAILERS",
            {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}},
            "optigem.E103",
        ),
        ("MAILERS", guarded_mailers("consolemail://", timeout=5), "optigem.E104"),
        ("MAILERS", guarded_mailers("filemail:///tmp/mail", timeout=5), "optigem.E104"),
        ("MAILERS", guarded_mailers("memorymail://", timeout=5), "optigem.E104"),
        ("ADDRESS_HASH_KEY", "", "optigem.E105"),
        ("ADDRESS_HASH_KEY", "too-short", "optigem.E105"),
        ("ADDRESS_HASH_KEY", "prefix-" + "s" * 50, "optigem.E105"),
        ("CLOUD_ENCRYPTION_KEY", "", "optigem.E106"),
        ("CLOUD_ENCRYPTION_KEY", "not-a-fernet-key", "optigem.E106"),
        ("SITE_URL", "http://www.optigem.com", "optigem.E108"),
    ],
)
def test_each_unsafe_value_fails_its_own_check(safe, name, value, check_id):
    setattr(safe, name, value)
    errors = [e for e in run_checks(include_deployment_checks=True) if e.id == check_id]
    assert errors and errors[0].hint
    assert ids() == {check_id}


def test_a_key_derived_from_the_secret_key_fails(safe):
    import base64
    import hashlib

    digest = hashlib.sha256(f"cloud-encryption:{safe.SECRET_KEY}".encode()).digest()
    safe.CLOUD_ENCRYPTION_KEY = base64.urlsafe_b64encode(digest).decode()
    assert ids() == {"optigem.E106"}


def test_sqlite_fails(safe):
    safe.DATABASES = {
        "default": {**safe.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3"}
    }
    assert {e.id for e in deploy_checks.check_database()} == {"optigem.E107"}


@pytest.mark.parametrize("field", list(IMPRINT))
def test_empty_imprint_data_fails(safe, field):
    safe.CONTROLLER = {**safe.CONTROLLER, field: ""}
    (error,) = deploy_checks.check_imprint()
    assert error.id == "optigem.E109"
    assert field in error.msg


def test_the_checks_run_only_with_deploy(settings):
    settings.CELERY_BROKER_URL = "memory://"
    assert not [e for e in run_checks() if e.id == "optigem.E101"]
