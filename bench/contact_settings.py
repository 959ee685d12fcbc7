"""Settings for bench/contact.py: the test settings on PostgreSQL, with mail handed to a broker.

Mail tasks go to Celery's in-memory broker (no worker runs), so a submission costs what it
costs in production up to the hand-off. ROOT_URLCONF adds the plain baseline view.
"""

from optigem_site.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
ROOT_URLCONF = "bench.contact_urls"
ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
CONTACT_RATE_LIMIT = 10**9
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
