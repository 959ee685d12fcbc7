import os

from django.core.asgi import get_asgi_application

# One rule everywhere (README, "Running in production"): production unless named.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optigem_site.settings.production")

application = get_asgi_application()
