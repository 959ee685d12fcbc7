"""Tenant separation in one place: the organisation of the request scopes every query.

``tenant_scope(...)`` sets the current tenant (an organisation, and for a signed-in user their
membership) for the duration of a request; ``TenantManager`` filters every queryset of a
tenant-owned model by it and raises ``NoTenant`` when none is set, so a view cannot forget the
filter. Views never filter by organisation themselves: they go through ``Model.objects``.
Code that legitimately works across tenants (the deletion run, backups, the admin, the
benchmark) uses ``Model.all_tenants`` and says so by the name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from .models import Membership, Organisation


class NoTenant(RuntimeError):
    """A tenant-scoped query ran outside a tenant scope (a programming error, never user input)."""


@dataclass(frozen=True)
class Tenant:
    organisation: Organisation
    membership: Membership | None = None  # None for an API token of the organisation

    @property
    def sees_only_own(self) -> bool:
        return self.membership is not None and self.membership.sees_only_own_receipts


_current: ContextVar[Tenant | None] = ContextVar("cloud_tenant", default=None)


@contextmanager
def tenant_scope(tenant: Tenant) -> Iterator[Tenant]:
    token = _current.set(tenant)
    try:
        yield tenant
    finally:
        _current.reset(token)


def current_tenant() -> Tenant:
    tenant = _current.get()
    if tenant is None:
        raise NoTenant("tenant-scoped query outside tenant_scope()")
    return tenant


class TenantManager(models.Manager):
    """Rows of the current tenant only; ``submitter_field`` narrows to a submitter's own rows."""

    def __init__(self, *, submitter_field: str | None = None) -> None:
        super().__init__()
        self.submitter_field = submitter_field

    def get_queryset(self) -> models.QuerySet:
        tenant = current_tenant()
        queryset = super().get_queryset().filter(organisation=tenant.organisation)
        if self.submitter_field and tenant.membership and tenant.sees_only_own:
            queryset = queryset.filter(**{self.submitter_field: tenant.membership.user_id})
        return queryset
