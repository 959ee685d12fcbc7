"""/healthz (the process answers) and /readyz (its services answer); no personal data."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override, csp_report_only_override
from django.views.decorators.http import require_GET

from .probes import readiness


def _plain(view):
    """Uncached, GET only, without a CSP (so nothing here can cause a report)."""
    return require_GET(never_cache(csp_override({})(csp_report_only_override({})(view))))


@_plain
def healthz(request):
    return JsonResponse({"status": "ok"})


@_plain
def readyz(request):
    results = readiness()
    failed = [name for name, ok in results.items() if not ok]
    body = {"status": "unavailable" if failed else "ok", "failed": failed}
    body.update({name: "ok" if ok else "failed" for name, ok in results.items()})
    return JsonResponse(body, status=503 if failed else 200)
