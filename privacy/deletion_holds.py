"""What holds a rule's rows back from the deletion run: legal holds and the registry's holds."""

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import LegalHold
from .registry import RetentionRule, registry

Selector = Callable[[models.QuerySet], models.QuerySet]


def rule_holds(rule: RetentionRule, *, today) -> tuple[dict, list[tuple[str, Selector]]]:
    """The holds that apply to a rule's rows today.

    Row holds come back as ``{pk: key}`` (checked in Python, no query per batch); e-mail holds
    and the registry's holds as selectors that pick the held rows out of a batch.
    """
    model = rule.get_model()
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    legal = LegalHold.objects.active(today=today).filter(
        models.Q(content_type=content_type) | models.Q(content_type__isnull=True)
    )
    if model is LegalHold:
        legal = legal.none()  # an ended hold must not be kept by another hold on the address
    row_holds: dict = {}
    selectors: list[tuple[str, Selector]] = []
    holder = registry.holders.get(rule.holder)
    for hold in legal.order_by("pk"):
        key = f"legal-hold:{hold.pk}"
        if hold.content_type_id:
            row_holds[model._meta.pk.to_python(hold.object_id)] = key
        elif holder is not None:
            selectors.append((key, _email_selector(holder, hold.email)))
    for hold in registry.holds.values():
        selectors.append((hold.key, _registry_selector(hold, rule)))
    selectors.extend(_cascade_selectors(model, LegalHold.objects.active(today=today)))
    return row_holds, selectors


def _cascade_selectors(model, active) -> list[tuple[str, Selector]]:
    """Legal holds on rows a deletion would cascade to hold back the row that owns them.

    Deleting an organisation cascades to its receipts; a hold on one receipt (or on an address
    found in the receipts) keeps the whole organisation until the hold ends. One level deep:
    the cascades of the registry's rules reach their holders directly.
    """
    selectors: list[tuple[str, Selector]] = []
    for relation in model._meta.related_objects:
        if relation.many_to_many or relation.on_delete is not models.CASCADE:
            continue
        child = relation.related_model
        if child is LegalHold:
            continue
        holder = registry.holders.get(child._meta.label)
        child_type = ContentType.objects.get_for_model(child, for_concrete_model=False)
        column = relation.field.attname
        for hold in active.filter(
            models.Q(content_type=child_type) | models.Q(content_type__isnull=True)
        ).order_by("pk"):
            if hold.content_type_id:
                rows = child._base_manager.filter(pk=hold.object_id)
            elif holder is not None:
                rows = holder.rows_for(hold.email)
            else:
                continue
            selectors.append((f"legal-hold:{hold.pk}", _owner_selector(rows, column)))
    return selectors


def _owner_selector(rows: models.QuerySet, column: str) -> Selector:
    return lambda batch: batch.filter(pk__in=rows.values(column))


def _email_selector(holder, email: str) -> Selector:
    return lambda batch: holder.rows_for(email).filter(pk__in=batch.values("pk"))


def _registry_selector(hold, rule: RetentionRule) -> Selector:
    return lambda batch: hold.held(rule, batch)
