"""The site's URLs plus the baseline for bench/contact.py: verify the token, insert one row."""

import json
import uuid
from urllib.parse import urlencode
from urllib.request import urlopen

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import path

from contact.models import Inquiry, MailState
from optigem_site import urls as site_urls


def plain_submit(request):
    """What the form costs at the least: one siteverify call and one INSERT."""
    body = urlencode(
        {"secret": settings.HCAPTCHA_SECRET, "response": request.POST["h-captcha-response"]}
    ).encode()
    with urlopen(settings.HCAPTCHA_VERIFY_URL, body, timeout=5) as response:
        if not json.loads(response.read()).get("success"):
            return HttpResponseBadRequest()
    Inquiry.objects.create(
        kind="contact",
        submission_key=uuid.uuid4(),
        name=request.POST["name"],
        email=request.POST["email"],
        message=request.POST["message"],
        receipt_mail=MailState.UNSENT,
        staff_mail=MailState.UNSENT,
        guardian_mail=MailState.NOT_NEEDED,
    )
    return HttpResponse(status=201)


urlpatterns = [path("bench/plain/", plain_submit), *site_urls.urlpatterns]
