from django.conf import settings
from django.urls import translate_url


def site(request):
    """Controller data, and the current page's address in each language (for the switcher)."""
    return {
        "controller": settings.CONTROLLER,
        "alternate_urls": [
            (code, name, translate_url(request.path, code)) for code, name in settings.LANGUAGES
        ],
    }
