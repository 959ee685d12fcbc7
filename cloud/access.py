"""Who may see what: the organisation comes from the URL, the role from the membership.

``tenant_view`` is the one gate for every page under ``/cx/<org>/``: it 404s for anyone who is
not a member (and for a role the page is not for, so nobody learns what exists elsewhere),
demands the second factor of administrators (django-otp's ``is_verified()``, as for staff),
refuses changes to a cancelled organisation, and runs the view inside ``tenant_scope`` so that
every query is limited to the organisation.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from .models import Membership, Organisation, Role
from .tenancy import Tenant, tenant_scope

ALL_ROLES = frozenset(Role.values)


class SignedInRequest(HttpRequest):
    """A request that ``login_required`` let through: its user is a real account."""

    user: User


class TenantRequest(SignedInRequest):
    """A request that ``tenant_view`` let through: it carries the organisation and membership."""

    organisation: Organisation
    membership: Membership


def login_url() -> str:
    return reverse("cloud:login")


def second_factor_passed(request: HttpRequest) -> bool:
    """The session passed the second factor (django-otp's OTPMiddleware names the device)."""
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def tenant_view(
    roles: Iterable[str] = ALL_ROLES, *, allow_read_only: bool = False
) -> Callable[[Callable], Callable]:
    allowed = frozenset(roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: TenantRequest, org: str, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url())
            membership = (
                Membership.all_tenants.select_related("organisation", "user")
                .filter(organisation__slug=org, user=request.user)
                .first()
            )
            if membership is None or membership.role not in allowed:
                raise Http404
            if membership.is_admin and not second_factor_passed(request):
                return redirect(
                    reverse("cloud:second_factor") + "?" + urlencode({"next": request.path})
                )
            organisation = membership.organisation
            if (
                organisation.is_read_only
                and request.method not in ("GET", "HEAD")
                and not allow_read_only
            ):
                return render(
                    request, "cloud/read_only.html", {"organisation": organisation}, status=403
                )
            request.organisation, request.membership = organisation, membership
            with tenant_scope(Tenant(organisation=organisation, membership=membership)):
                return view(request, **kwargs)

        return wrapped

    return decorator


def object_action(model: type[models.Model]) -> Callable[[Callable], Callable]:
    """A POST-only action on one object of the tenant: the object is looked up first, so an id
    of another organisation is a 404 whatever the method; the view gets the object."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, pk: int) -> HttpResponse:
            # The tenant-scoped manager (``objects``), never the default ``all_tenants``.
            obj = get_object_or_404(model._meta.managers_map["objects"], pk=pk)
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, obj)

        return wrapped

    return decorator
