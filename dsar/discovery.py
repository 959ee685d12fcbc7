"""One person's data across every app, found and described through the privacy registry."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from privacy.digests import normalise_email
from privacy.registry import Holder, LegalBasis, ProcessingActivity, registry


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


# Labels for fields declared without a verbose name (Django then uses the raw field name).
GENERIC_LABELS = {
    "email": _("E-Mail-Adresse"),
    "name": _("Name"),
    "created_at": _("angelegt"),
    "updated_at": _("geändert"),
    "organisation": _("Organisation"),
    "refund_account_text": _("Erstattungskonto"),
    "confirmed": _("bestätigt"),
    "last_used_at": _("zuletzt verwendet"),
    "device": _("Gerät"),
}


def field_label(model: type[models.Model], name: str) -> str:
    """The field's verbose name; for a property its ``short_description``."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        attribute = getattr(model, name, None)
        if isinstance(attribute, property):
            label = getattr(attribute.fget, "short_description", None)
            return str(label or GENERIC_LABELS.get(name, name))
        return name
    label = str(field.verbose_name) if isinstance(field, models.Field) else name
    if label in (name, name.replace("_", " ")):
        return str(GENERIC_LABELS.get(name, label))
    return label


# Check values that mean nothing to a reader: hashes, Message-IDs, internal keys and codes.
# They stay in the machine-readable copy (Art. 20); the letter says so.
TECHNICAL_FIELD = re.compile(
    r"(^|_)(hash|sha256|nonce|claim|token|secret|key|message_id)$|^(id|pk)$"
)
INTERNAL_CODES = frozenset({"form", "content_type", "object_id"})


def is_technical(name: str) -> bool:
    return bool(TECHNICAL_FIELD.search(name)) or name in INTERNAL_CODES


def letter_value(value: Any) -> str:
    """A value as a German letter prints it: dates as 31.01.2026, yes/no, amounts 1.234,50."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return str(_("ja") if value else _("nein"))
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d.%m.%Y, %H:%M Uhr")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal | float):
        return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    if isinstance(value, list | tuple):
        return ", ".join(letter_value(item) for item in value)
    return str(value)


def display_value(row: models.Model, name: str) -> Any:
    getter = getattr(row, f"get_{name}_display", None)
    value = getter() if getter else getattr(row, name)
    return "" if value is None else value


def _related_exports(holder: Holder) -> list[str]:
    """Exported foreign keys and the relations exported values read, fetched with the rows
    instead of one query per row."""
    model = holder.get_model()
    names = []
    for name in holder.export_fields:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.many_to_one or field.one_to_one:
            names.append(name)
    return [*names, *holder.export_related]


def holder_rows(holder: Holder, address: str) -> list[models.Model]:
    """One holder's rows for a normalised, non-empty address, with the exported relations."""
    query = holder.rows_for(address)
    if related := _related_exports(holder):  # select_related() without names is deprecated
        query = query.select_related(*related)
    return list(query.order_by("pk"))


def discover(address: str) -> list[Finding]:
    """Every holder's rows for the (normalised) address, holders without rows left out."""
    address = normalise_email(address)
    if not address:
        return []  # an empty address would match every row whose address was erased
    findings = []
    for holder in registry.holders.values():
        if rows := holder_rows(holder, address):
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


def letter_entries(finding: Finding, *, known: frozenset[str]) -> list[list[tuple[str, str]]]:
    """Each row as (label, value) pairs for the letter.

    Technical fields are left out, and so are empty values and values the letter already
    names once at the top (the person's address and name).
    """
    model = finding.holder.get_model()
    names = [name for name in finding.holder.export_fields if not is_technical(name)]
    labels = {name: field_label(model, name) for name in names}
    entries = []
    for row in finding.rows:
        pairs = []
        for name in names:
            value = letter_value(display_value(row, name))
            if value and value.casefold() not in known:
                pairs.append((labels[name], value))
        entries.append(pairs)
    return entries


def _record(finding: Finding, *, printable: bool, known: frozenset[str]) -> dict[str, Any]:
    record = {
        "holder": finding.label,
        "name": finding.verbose_name,
        "description": str(finding.holder.description),
    }
    if printable:
        return {**record, "entries": letter_entries(finding, known=known)}
    fields = {n: field_label(finding.holder.get_model(), n) for n in finding.holder.export_fields}
    return {**record, "fields": fields, "rows": finding.holder.export(finding.rows)}


def access_answer(
    findings: list[Finding],
    *,
    today: date,
    language: str = "de",
    printable: bool = False,
    known: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The Art. 15 answer: per processing activity its facts from the registry and the rows.

    As JSON it is the machine-readable copy (also serving Art. 20) with every field;
    ``printable`` gives each row as labelled display values for the German letter, without
    technical check values and without repeating ``known`` values (address, name).
    """
    known_values = frozenset(v.strip().casefold() for v in known if v and v.strip())
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
            entry["records"].append(_record(finding, printable=printable, known=known_values))
        return {
            "controller": dict(settings.CONTROLLER),
            "data_protection_officer": dict(settings.DPO),
            "date": today.isoformat(),
            "activities": list(activities.values()),
        }
