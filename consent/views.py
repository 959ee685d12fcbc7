from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .forms import SHOW_SETTINGS, ConsentForm
from .services import consent_cookie_set, consent_give, consent_of, expire_unconsented_cookies
from .state import get_consent, keep_consent
from .texts import GPC_NOTE, categories

FOREIGN_POST = gettext_lazy(
    "Diese Auswahl kam nicht von einer Seite dieser Website und wurde nicht gespeichert. "
    "Bitte entscheiden Sie hier selbst."
)


def _safe_next(request: HttpRequest, url: str) -> str:
    """``url`` if it stays on this site, else the settings page (no open redirect)."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("consent:settings")


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _from_this_site(request: HttpRequest) -> bool:
    """Whether a POST was sent by a page of this site (protection against forged decisions).

    Browsers name the sending page's origin in ``Origin`` on every POST, and say in
    ``Sec-Fetch-Site`` whether it came from the same origin; a page on another site can fake
    neither. The referring page is the last resort for browsers that send neither header.
    """
    own = {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
    if origin := request.headers.get("Origin"):
        return origin in own
    if site := request.headers.get("Sec-Fetch-Site"):
        return site == "same-origin"
    referer = request.headers.get("Referer", "")
    return bool(referer) and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _wants_json(request: HttpRequest) -> bool:
    return request.accepts("application/json") and not request.accepts("text/html")


# The banner carries no CSRF token, so a first visit gets no cookie at all and the banner's
# HTML is the same for everyone; _from_this_site() checks the sender instead.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def cookie_settings(request: HttpRequest) -> HttpResponse:
    """The cookie settings page, and the target of every decision (banner and page alike)."""
    if request.method == "POST":
        return _decide(request)
    return _render(request, ConsentForm(initial={"next": request.GET.get("next", "")}))


def _decide(request: HttpRequest) -> HttpResponse:
    form = ConsentForm(request.POST)
    if not _from_this_site(request):
        form.add_error(None, FOREIGN_POST)
        return _render(request, form, status=403)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"errors": form.errors}, status=400)
        return _render(request, form, status=400)
    next_url = _safe_next(request, form.cleaned_data["next"])
    if form.cleaned_data["action"] == SHOW_SETTINGS:
        return _see_other(f"{reverse('consent:settings')}?{urlencode({'next': next_url})}")
    previous = get_consent(request)
    receipt = consent_give(
        categories=form.chosen_categories(),
        action=form.cleaned_data["action"],
        language=get_language(),
        consent_id=previous.consent_id,
    )
    consent = keep_consent(request, consent_of(receipt, gpc=previous.gpc))
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse(
            {"categories": receipt.categories, "saved": _("Ihre Cookie-Auswahl ist gespeichert.")}
        )
    else:
        response = _see_other(next_url)
    consent_cookie_set(response, receipt)
    expire_unconsented_cookies(request, response, consent)
    return response


def _render(request: HttpRequest, form: ConsentForm, status: int = 200) -> HttpResponse:
    consent = get_consent(request)
    if form.is_bound:
        chosen = set(form["categories"].value() or ())
    else:
        chosen = {key for key in consent.categories if consent.allows(key)}
    context = {
        "form": form,
        "consent": consent,
        "categories": categories(),
        "chosen": chosen,
        "allowed": [c for c in categories() if c.optional and consent.allows(c.key)],
        "next": form["next"].value() or "",
        "gpc_note": GPC_NOTE,
    }
    return render(request, "consent/settings.html", context, status=status)
