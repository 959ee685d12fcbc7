"""Production: HTTPS only; every service and key from the environment, none with a default.

A missing variable stops the start with ``ImproperlyConfigured`` naming it; values that are
present but unsafe (a memory broker, a console mailer, SQLite, …) fail ``check --deploy``
(privacy/deploy_checks.py).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CONTROLLER, SECURE_CSP, env
from .env import guarded_mailers


def required(name: str) -> str:
    """The variable's value; unset or empty stops the start with a message naming it."""
    value = env(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable: production has no default for it "
            "(see README, 'Running in production')."
        )
    return value


DEBUG = False
SECRET_KEY = required("SECRET_KEY")
required("ALLOWED_HOSTS")

required("DATABASE_URL")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False

if not env("CELERY_BROKER_URL", default="") and not env("REDIS_URL", default=""):
    raise ImproperlyConfigured(
        "Set the REDIS_URL or CELERY_BROKER_URL environment variable: production has no "
        "default broker (see README, 'Running in production')."
    )
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL

required("CACHE_URL")
CACHES = {"default": env.cache("CACHE_URL")}

EMAIL_URL = required("EMAIL_URL")
MAILERS = guarded_mailers(EMAIL_URL, timeout=env.int("EMAIL_TIMEOUT", default=20))

SITE_URL = required("SITE_URL").rstrip("/")
ADDRESS_HASH_KEY = required("ADDRESS_HASH_KEY")
CLOUD_ENCRYPTION_KEY = required("CLOUD_ENCRYPTION_KEY")

# The imprint's § 5 DDG data (privacy/templates/privacy/imprint*.html reads CONTROLLER).
CONTROLLER = {
    **CONTROLLER,
    "managing_directors": required("CONTROLLER_MANAGING_DIRECTORS"),
    "register_court": required("CONTROLLER_REGISTER_COURT"),
    "register_number": required("CONTROLLER_REGISTER_NUMBER"),
    "vat_id": required("CONTROLLER_VAT_ID"),
}
CONTROLLER["register"] = f"{CONTROLLER['register_court']}, {CONTROLLER['register_number']}"

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes from the host itself (systemd, the load balancer) ask over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_CSP = {**SECURE_CSP, "upgrade-insecure-requests": True}
