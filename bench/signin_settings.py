"""Settings for bench/signin.py: the test settings on PostgreSQL and Redis, with Django's real
password hasher (the test settings use a fast one) and a cache shared by the gunicorn workers."""

from optigem_site.settings.test import *  # noqa: F403
from optigem_site.settings.test import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_URL"),
        "KEY_PREFIX": "bench-signin",
    }
}
ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
# The test settings switch the budget off; the benchmark measures the production default.
SIGNIN_CLIENT_BUDGET_PER_MINUTE = env.int("SIGNIN_CLIENT_BUDGET_PER_MINUTE", default=4)
