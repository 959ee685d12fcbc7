import os

from celery import Celery

# One rule everywhere (README, "Running in production"): production unless named.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optigem_site.settings.production")

app = Celery("optigem_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A Redis broker goes through kombu's Redis transport with channels that survive a reconnect
# (optigem_site/broker.py); otherwise a Redis restart stops the worker.
@app.on_after_configure.connect
def _redis_transport(sender, **kwargs):
    if str(sender.conf.broker_url or "").startswith(("redis://", "rediss://")):
        sender.conf.broker_transport = "optigem_site.broker:Transport"
