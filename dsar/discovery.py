"""One person's data across every app, found and described through the privacy registry."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import translation

from privacy.registry import Holder, LegalBasis, ProcessingActivity, normalise_email, registry


@dataclass
class Finding:
    """The rows one holder keeps about the person."""

    holder: Holder
    rows: list[models.Model]

    @property
    def label(self) -> str:
        return self.holder.model

    @property
    def verbose_name(self) -> str:
        return str(self.holder.get_model()._meta.verbose_name_plural)

    def columns(self) -> list[str]:
        return [field_label(self.holder.get_model(), name) for name in self.holder.export_fields]

    def table(self) -> list[list[Any]]:
        """The exported fields of each row as display values (choice labels, not codes)."""
        return [
            [display_value(row, name) for name in self.holder.export_fields] for row in self.rows
        ]


def field_label(model: type[models.Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(field.verbose_name) if isinstance(field, models.Field) else name


def display_value(row: models.Model, name: str) -> Any:
    getter = getattr(row, f"get_{name}_display", None)
    value = getter() if getter else getattr(row, name)
    return "" if value is None else value


def _related_exports(holder: Holder) -> list[str]:
    """Exported foreign keys, fetched with the rows instead of one query per row."""
    model = holder.get_model()
    names = []
    for name in holder.export_fields:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.many_to_one or field.one_to_one:
            names.append(name)
    return names


def discover(address: str) -> list[Finding]:
    """Every holder's rows for the (normalised) address, holders without rows left out."""
    address = normalise_email(address)
    if not address:
        return []  # an empty address would match every row whose address was erased
    findings = []
    for holder in registry.holders.values():
        query = holder.rows_for(address)
        if related := _related_exports(holder):  # select_related() without names is deprecated
            query = query.select_related(*related)
        rows = list(query.order_by("pk"))
        if rows:
            findings.append(Finding(holder=holder, rows=rows))
    return findings


def statutory_rules(holder: Holder) -> list:
    return [r for r in registry.retention_rules if r.holder == holder.model and r.statutory]


def _activity_facts(activity: ProcessingActivity) -> dict[str, Any]:
    return {
        "key": activity.key,
        "name": str(activity.name),
        "purpose": str(activity.purpose),
        "legal_basis": [str(LegalBasis(code).label) for code in activity.legal_basis],
        "data_categories": [str(c) for c in activity.data_categories],
        "origin": str(activity.origin),
        "recipients": [str(r) for r in activity.recipients],
        "retention": str(activity.retention),
        "statutory_retention": [],
        "third_country_transfer": (
            str(activity.third_country_transfer) if activity.third_country_transfer else None
        ),
    }


def _record(finding: Finding, *, printable: bool) -> dict[str, Any]:
    record = {
        "holder": finding.label,
        "name": finding.verbose_name,
        "description": str(finding.holder.description),
    }
    if printable:
        return {**record, "columns": finding.columns(), "table": finding.table()}
    fields = {n: field_label(finding.holder.get_model(), n) for n in finding.holder.export_fields}
    return {**record, "fields": fields, "rows": finding.holder.export(finding.rows)}


def access_answer(
    findings: list[Finding], *, today: date, language: str = "de", printable: bool = False
) -> dict[str, Any]:
    """The Art. 15 answer: per processing activity its facts from the registry and the rows.

    As JSON it is the machine-readable copy (also serving Art. 20); ``printable`` gives the
    rows as display values (choice labels) for the German letter.
    """
    with translation.override(language):
        activities: dict[str, dict[str, Any]] = {}
        for finding in findings:
            activity = registry.activities[finding.holder.activity]
            entry = activities.setdefault(
                activity.key, {**_activity_facts(activity), "records": []}
            )
            entry["statutory_retention"] += [
                str(rule.description) for rule in statutory_rules(finding.holder)
            ]
            entry["records"].append(_record(finding, printable=printable))
        return {
            "controller": dict(settings.CONTROLLER),
            "data_protection_officer": dict(settings.DPO),
            "date": today.isoformat(),
            "activities": list(activities.values()),
        }
