"""Public pages: sign-up, confirmation, unsubscribe (newsletter) and opt-out (customer mails)."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from privacy.ratelimit import TOO_MANY_MESSAGE, client_over_limit
from privacy.registry import registry

from . import services
from .forms import SubscribeForm
from .models import Channel


def _language() -> str:
    return "en" if get_language() == "en" else "de"


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request):
    """The sign-up form. Every valid request ends on the same page, whoever the address is."""
    form = SubscribeForm(request.POST or None, language=_language())
    status = 200
    if request.method == "POST" and form.is_valid():
        # Per client, never per address: the answer does not depend on who the address is.
        if _over_limit(request):
            form.add_error(None, TOO_MANY_MESSAGE)
            status = 429
        else:
            services.subscription_request(
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                language=_language(),
                consent=form.cleaned_data["consent_version"],
            )
            return redirect("newsletter:requested")
    response = render(
        request,
        "newsletter/subscribe.html",
        {"form": form, "activity": registry.activities["newsletter"]},
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(settings.NEWSLETTER_SIGNUP_RATE_LIMIT_WINDOW)
    return response


def _over_limit(request) -> bool:
    return client_over_limit(
        request,
        scope="newsletter-signup",
        limit=settings.NEWSLETTER_SIGNUP_RATE_LIMIT,
        window=settings.NEWSLETTER_SIGNUP_RATE_LIMIT_WINDOW,
        cache_alias=settings.CONTACT_RATE_LIMIT_CACHE,
    )


def requested(request):
    return render(request, "newsletter/requested.html")


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token: str):
    """GET shows a button, so that a link scanner opening the mail confirms nothing."""
    if request.method == "POST":
        subscriber = services.subscription_confirm(token=token)
        return render(request, "newsletter/confirmed.html", {"ok": subscriber is not None})
    return render(
        request,
        "newsletter/confirm.html",
        {"valid": services.subscription_check_token(token)},
    )


def _unsubscribe(request, token: str, *, scope: str):
    """GET: a page with one button. POST: unsubscribe, always 200, no CSRF token, no login.

    A POST with the body ``List-Unsubscribe=One-Click`` comes from a mail program (RFC 8058);
    any other POST from the button on the page. Both withdraw; only the recorded channel
    differs. An invalid token also answers 200, so probing learns nothing.
    """
    template = "newsletter/unsubscribe.html"
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        ok = services.unsubscribe_with_token(
            token=token,
            scope=scope,
            channel=Channel.ONE_CLICK if one_click else Channel.LINK,
        )
        return render(request, template, {"scope": scope, "done": True, "ok": ok}, status=200)
    return render(request, template, {"scope": scope, "done": False, "ok": True})


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    return _unsubscribe(request, token, scope="newsletter")


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def customer_optout(request, token: str):
    return _unsubscribe(request, token, scope="customer")
