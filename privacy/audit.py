"""Writing the audit log, and an admin mixin that logs every view and change of a record."""

from collections.abc import Iterable

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .models import AuditAction, AuditEntry
from .registry import registry


def audit_log(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    model: type[models.Model] | None = None,
    object_id: str | int | None = None,
    fields: Iterable[str] = (),
    note: str = "",
    now=None,
) -> AuditEntry:
    """Record that ``actor`` did ``action`` to a record (``obj``, or ``model`` and ``object_id``)."""
    if obj is not None:
        model, object_id = type(obj), obj.pk
    assert model is not None, "record() needs obj, or model and object_id"
    return AuditEntry.objects.create(
        at=now or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
        object_id=str(object_id),
        fields=sorted(fields),
        note=note,
    )


def processing_restricted(obj: models.Model | None) -> bool:
    """Whether a record guard of the registry makes ``obj`` read-only (Art. 18 GDPR)."""
    return registry.record_locked(obj) is not None


class AuditedAdminMixin:
    """ModelAdmin mixin: opening, changing or deleting a record writes an audit entry.

    Records of a person whose processing is restricted are shown read-only.
    """

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not processing_restricted(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not processing_restricted(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 200) == 200:
            audit_log(
                actor=request.user, action=AuditAction.VIEW, model=self.model, object_id=object_id
            )
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_log(
            actor=request.user,
            action=AuditAction.CHANGE if change else AuditAction.CREATE,
            obj=obj,
            fields=form.changed_data,
        )

    def delete_model(self, request, obj):
        object_id = obj.pk
        super().delete_model(request, obj)
        audit_log(
            actor=request.user, action=AuditAction.DELETE, model=self.model, object_id=object_id
        )

    def delete_queryset(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        for object_id in ids:
            audit_log(
                actor=request.user, action=AuditAction.DELETE, model=self.model, object_id=object_id
            )


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass
