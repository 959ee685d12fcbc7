import os

from celery import Celery

# One rule everywhere (README, "Running in production"): production unless named.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optigem_site.settings.production")

app = Celery("optigem_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
