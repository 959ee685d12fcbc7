import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optigem_site.settings.dev")

app = Celery("optigem_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
