"""Test settings: DATABASE_URL and REDIS_URL from the environment, SQLite and no broker otherwise."""

from .base import *  # noqa: F403
from .base import env
from .env import guarded_mailers

DEBUG = False
SECRET_KEY = "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = guarded_mailers("memorymail://", timeout=5)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "backups": STORAGES["backups"],  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if not env("DATABASE_URL", default=""):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"

# Holder models for the deletion run's tests; production code gets no fake models.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.retention_app"]  # noqa: F405

# Tests sign in many times from one client; the limiter's own tests set a small budget.
SIGNIN_CLIENT_BUDGET_PER_MINUTE = 0
