"""Settings shared by every environment; each value comes from the environment (django-environ).

Every variable is listed, with its default, in README.md and .env.example.
"""

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from optigem_site.schedule import beat_schedule

from .env import BASE_DIR, csp_with_origin, env, guarded_mailers, storage_from_url

VAR_DIR = BASE_DIR / "var"

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")  # production.py requires it
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The site's own public address, for links in mails (no trailing slash).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "accounts.admin_site.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "privacy",
    "contact",
    "consent",
    "newsletter",
    "dsar",
    "cloud",
    "django_otp",
    "django_otp.plugins.otp_static",
    "accounts",
    "health",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.AccountSessionMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.PrivateResponseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "optigem_site.outage.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "optigem_site.urls"
WSGI_APPLICATION = "optigem_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "privacy.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A connection that died with a PostgreSQL restart is noticed and replaced before the next
# request uses it; kept for a minute so a busy worker does not reconnect per request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: German is the site's language, English its second.
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
CLOUD_BACKUP_DIR = env.path("CLOUD_BACKUP_DIR", default=str(VAR_DIR / "backups"))
# Uploaded files and backups: folders by default; STORAGE_URL / BACKUP_STORAGE_URL =
# s3://bucket/prefix?endpoint_url=…&region_name=… for S3-compatible object storage (README).
STORAGES = {
    "default": storage_from_url(env("STORAGE_URL", default="")),
    "backups": storage_from_url(env("BACKUP_STORAGE_URL", default=""), location=CLOUD_BACKUP_DIR),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Mail
# Django 6.1 mailers, both guarded (privacy/mail.py): "default" for every mail the site sends,
# "newsletter" for the mailings' exactly-once SMTP hand-off (newsletter/transport.py).
EMAIL_URL = env("EMAIL_URL", default="consolemail://")
MAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
MAILERS = guarded_mailers(EMAIL_URL, timeout=MAIL_TIMEOUT)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="OPTIGEM GmbH <info@optigem.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production; the demo uses the filesystem transport (see dev.py).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One message per process at a time: with acks_late tasks of seconds to minutes, prefetching
# more only moves messages out of the queue into the worker's memory, where a broker outage
# strands them until the visibility timeout (tests/test_broker.py).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = beat_schedule(
    deletion_hour=env.int("DELETION_RUN_HOUR", default=3),
    deletion_minute=env.int("DELETION_RUN_MINUTE", default=15),
)

# Security baseline, strict in every environment; production.py adds the HTTPS-only parts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Database sessions that name their user in a column (data-subject requests find them by index).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Third parties, each active only when configured.
HCAPTCHA_SITEKEY = env("HCAPTCHA_SITEKEY", default="")
HCAPTCHA_SECRET = env("HCAPTCHA_SECRET", default="")
HCAPTCHA_VERIFY_URL = env("HCAPTCHA_VERIFY_URL", default="https://api.hcaptcha.com/siteverify")
MATOMO_URL = env("MATOMO_URL", default="")
MATOMO_SITE_ID = env("MATOMO_SITE_ID", default="")
# Matomo's origin is a static CSP entry: its snippet is rendered only after statistics consent
# (consent/templatetags) and runs only with the response's nonce, so before consent the entry
# admits nothing.
SECURE_CSP = csp_with_origin(SECURE_CSP, MATOMO_URL)

# The controller (Verantwortlicher) and its data-protection officer, shown on the policy
# and imprint pages. Defaults are the facts of the policy of 31 July 2024.
CONTROLLER = {
    "name": env("CONTROLLER_NAME", default="OPTIGEM GmbH"),
    "street": env("CONTROLLER_STREET", default="Hohenbuschei-Allee 1"),
    "city": env("CONTROLLER_CITY", default="44309 Dortmund"),
    "phone": env("CONTROLLER_PHONE", default="+49 (0)231.18293-0"),
    "email": env("CONTROLLER_EMAIL", default="info@optigem.com"),
    "managing_directors": env("CONTROLLER_MANAGING_DIRECTORS", default=""),
    # Register court and number (§ 5 DDG); "register" is both, or CONTROLLER_REGISTER as a whole.
    "register_court": env("CONTROLLER_REGISTER_COURT", default=""),
    "register_number": env("CONTROLLER_REGISTER_NUMBER", default=""),
    "register": env("CONTROLLER_REGISTER", default=""),
    "vat_id": env("CONTROLLER_VAT_ID", default=""),
}
if not CONTROLLER["register"] and CONTROLLER["register_court"]:
    CONTROLLER["register"] = f"{CONTROLLER['register_court']}, {CONTROLLER['register_number']}"
DPO = {
    "name": env("DPO_NAME", default="Juergen Golda"),
    "organisation": env("DPO_ORGANISATION", default="P2 Consult"),
    "street": env("DPO_STREET", default="Wilhelm-Bläser-Str. 3 c"),
    "city": env("DPO_CITY", default="59174 Kamen"),
    "email": env("DPO_EMAIL", default="datenschutz@optigem.com"),
}

ADMIN_SITE_TITLE = "OPTIGEM"
DEMO_MODE = False

# Logging never writes a client IP address (policy §1.3): Django's own formats carry none,
# and every handler also passes records through a filter that masks addresses.
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_ip": {"()": "privacy.logfilters.RedactIPAddresses"},
        "skip_health": {"()": "health.logfilters.SkipHealthChecks"},
    },
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_ip", "skip_health"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

# Key of the address digests on the suppression list and the restrictions of processing
# (privacy.digests.address_digest); set it in production, the default changes with SECRET_KEY.
ADDRESS_HASH_KEY = env("ADDRESS_HASH_KEY", default="")

# Newsletter and customer mails (newsletter/).
NEWSLETTER_RATE_PER_SECOND = env.float("NEWSLETTER_RATE_PER_SECOND", default=20.0)
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=100)
NEWSLETTER_SENDERS = env.int("NEWSLETTER_SENDERS", default=2)
NEWSLETTER_CLAIM_LEASE_SECONDS = env.int("NEWSLETTER_CLAIM_LEASE_SECONDS", default=300)
# Per-client limit on valid sign-ups: this many per window (seconds), counted in the forms' cache.
NEWSLETTER_SIGNUP_RATE_LIMIT = env.int("NEWSLETTER_SIGNUP_RATE_LIMIT", default=5)
NEWSLETTER_SIGNUP_RATE_LIMIT_WINDOW = env.int("NEWSLETTER_SIGNUP_RATE_LIMIT_WINDOW", default=600)

# Cookie lifetimes as declared in the privacy registry (a test keeps the two in step).
CSRF_COOKIE_AGE = 60 * 60 * 24 * 365
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

# Sign-in and sessions (accounts/): staff sessions end after 8 hours and after 1 hour idle;
# CX sessions after CLOUD_SESSION_MAX_AGE and CLOUD_SESSION_IDLE seconds. Each client may have
# SIGNIN_CLIENT_BUDGET_PER_MINUTE password checks a minute, evenly spread (admin and CX
# together; 0: no budget).
STAFF_SESSION_MAX_AGE = env.int("STAFF_SESSION_MAX_AGE", default=8 * 60 * 60)
STAFF_SESSION_IDLE = env.int("STAFF_SESSION_IDLE", default=60 * 60)
CLOUD_SESSION_MAX_AGE = env.int("CLOUD_SESSION_MAX_AGE", default=SESSION_COOKIE_AGE)
CLOUD_SESSION_IDLE = env.int("CLOUD_SESSION_IDLE", default=60 * 60 * 24)
SIGNIN_CLIENT_BUDGET_PER_MINUTE = env.int("SIGNIN_CLIENT_BUDGET_PER_MINUTE", default=4)
# CX "Passwort vergessen": the link is valid CLOUD_PASSWORD_RESET_TIMEOUT seconds and works once;
# each client may ask CLOUD_PASSWORD_RESET_RATE_LIMIT times per _WINDOW seconds. Staff have no
# self-service reset (a superuser sets their password), so PASSWORD_RESET_TIMEOUT stays Django's.
CLOUD_PASSWORD_RESET_TIMEOUT = env.int("CLOUD_PASSWORD_RESET_TIMEOUT", default=60 * 60)
CLOUD_PASSWORD_RESET_RATE_LIMIT = env.int("CLOUD_PASSWORD_RESET_RATE_LIMIT", default=5)
CLOUD_PASSWORD_RESET_RATE_LIMIT_WINDOW = env.int(
    "CLOUD_PASSWORD_RESET_RATE_LIMIT_WINDOW", default=15 * 60
)

# Contact, support and training requests (contact/)
# hCaptcha's script URL and the seconds the verify call may take before the form says so.
HCAPTCHA_JS_API_URL = env("HCAPTCHA_JS_API_URL", default="https://js.hcaptcha.com/1/api.js")
HCAPTCHA_TIMEOUT = env.float("HCAPTCHA_TIMEOUT", default=5.0)
# Where staff notifications of new requests go (they carry no personal data).
CONTACT_STAFF_EMAIL = env("CONTACT_STAFF_EMAIL", default="support@optigem.com")
# Per-client limit on the forms' POSTs: this many per window (seconds), counted in this cache.
CONTACT_RATE_LIMIT = env.int("CONTACT_RATE_LIMIT", default=10)
CONTACT_RATE_LIMIT_WINDOW = env.int("CONTACT_RATE_LIMIT_WINDOW", default=600)
CONTACT_RATE_LIMIT_CACHE = env("CONTACT_RATE_LIMIT_CACHE", default="default")
# Reverse proxies in front of the site that append to X-Forwarded-For (0: use REMOTE_ADDR).
CONTACT_PROXY_HOPS = env.int("CONTACT_PROXY_HOPS", default=0)
# OPTIGEM CX cloud (cloud/): encryption of refund accounts, uploads, invitations, backups.
# One or more comma-separated Fernet keys; the first encrypts. Empty: derived from SECRET_KEY.
CLOUD_ENCRYPTION_KEY = env("CLOUD_ENCRYPTION_KEY", default="")
CLOUD_MAX_UPLOAD_BYTES = env.int("CLOUD_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
CLOUD_INVITATION_DAYS = env.int("CLOUD_INVITATION_DAYS", default=7)
# Policy §2.6: a cancelled organisation's data is gone a month later, so no backup is older.
CLOUD_BACKUP_KEEP_DAYS = env.int("CLOUD_BACKUP_KEEP_DAYS", default=28)
# The deletion run (privacy/deletion.py): rows deleted per short transaction (see README).
DELETION_BATCH_SIZE = env.int("DELETION_BATCH_SIZE", default=25000)
# Cookie consent (consent/): on HTML responses only, it expires cookies the visitor has not
# consented to and marks the response as varying with the consent cookie and Sec-GPC.
MIDDLEWARE = [*MIDDLEWARE, "consent.middleware.ConsentMiddleware"]
