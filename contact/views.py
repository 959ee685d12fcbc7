"""Views of the request forms: validate, call one service, redirect or render."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from . import services
from .captcha import allow_captcha, captcha_enabled, script_url
from .forms import ContactForm, InquiryForm, SupportForm, TrainingForm
from .models import GUARDIAN_CONFIRMATION, Kind, TrainingEvent, pupil_promise
from .notice import notice_for
from .ratelimit import TOO_MANY_MESSAGE, limit_headers, over_limit, rate_limited


def _form_page(
    request, *, form_class: type[InquiryForm], kind: str, event=None, extra: dict | None = None
):
    form = form_class(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if over_limit(request):
            # Counted only now: a submission that fails validation costs the visitor nothing.
            form.add_error(None, TOO_MANY_MESSAGE)
            status = 429
        else:
            try:
                inquiry = services.inquiry_create(
                    kind=kind, data=form.inquiry_data(), event=event, language=get_language()
                )
            except services.RegistrationRefused as refused:
                form.add_error(None, refused.message)
            else:
                return redirect("contact:thanks", token=services.thanks_token(inquiry))
    captcha = captcha_enabled()
    response = render(
        request,
        f"contact/form_{kind}.html",
        {
            "form": form,
            "notice": notice_for(kind, captcha=captcha),
            "captcha_script": script_url() if captcha else "",
            "event": event,
            **(extra or {}),
        },
        status=status,
    )
    return limit_headers(response) if status == 429 else response


@require_http_methods(["GET", "HEAD", "POST"])
@allow_captcha
def contact_form(request):
    return _form_page(request, form_class=ContactForm, kind=Kind.CONTACT)


@require_http_methods(["GET", "HEAD", "POST"])
@allow_captcha
def support_form(request):
    return _form_page(request, form_class=SupportForm, kind=Kind.SUPPORT)


@require_http_methods(["GET", "HEAD", "POST"])
@allow_captcha
def training_form(request, event: str):
    training = get_object_or_404(TrainingEvent, slug=event)
    # Shown, a full or closed event says so instead of offering the form. A POST skips the
    # count (the service counts under the lock) and gets its answer with what was typed kept.
    extra = {}
    if request.method != "POST":
        now = timezone.now()
        seats_left = training.seats_left(now=now)
        extra = {"seats_left": seats_left, "bookable": training.is_open(now=now) and seats_left}
    return _form_page(
        request, form_class=TrainingForm, kind=Kind.TRAINING, event=training, extra=extra
    )


def training_list(request):
    now = timezone.now()
    events = TrainingEvent.objects.upcoming(now=now).with_seats_taken(now=now)
    rows = [
        (event, event.is_open(now=now), max(0, event.seats - event.seats_taken)) for event in events
    ]
    return render(request, "contact/training_list.html", {"rows": rows})


def thanks(request, token: str):
    inquiry = services.inquiry_for_thanks(token)
    if inquiry is None:
        raise Http404
    return render(
        request, "contact/thanks.html", {"inquiry": inquiry, "period": GUARDIAN_CONFIRMATION}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited
def guardian(request, token: str):
    """Shows the pending request; only a POST (a button) consents, so mail scanners cannot."""
    try:
        inquiry = services.inquiry_for_guardian(token=token)
        if request.method == "POST":
            if request.POST.get("decision") == "decline":
                services.inquiry_guardian_decline(token=token)
                return render(request, "contact/guardian_done.html", {"declined": True})
            inquiry = services.inquiry_guardian_confirm(token=token)
            return render(request, "contact/guardian_done.html", {"inquiry": inquiry})
    except services.GuardianLinkError as error:
        return render(
            request, "contact/guardian_error.html", {"message": error.message}, status=410
        )
    return render(
        request, "contact/guardian.html", {"inquiry": inquiry, "promise": pupil_promise()}
    )
