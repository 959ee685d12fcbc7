"""Importing customers and prospects from CSV: every line is imported or reported, none is lost.

Lines with errors are reported with their number and a German reason and handed back as CSV
(with a ``fehler`` column) to correct and import again; lines of addresses under an
E-Mail-Sperre are refused, so an erased or blocked address is never re-imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from privacy.digests import address_digest, normalise_email

from .models import Customer, Relationship
from .suppression import suppressed_hashes

COLUMNS = ("name", "email", "organisation", "relationship", "source")
HEADER_ALIASES = {
    "name": "name",
    "e-mail": "email",
    "email": "email",
    "e-mail-adresse": "email",
    "mail": "email",
    "organisation": "organisation",
    "organization": "organisation",
    "firma": "organisation",
    "relationship": "relationship",
    "beziehung": "relationship",
    "source": "source",
    "quelle": "source",
    "herkunft": "source",
}
RELATIONSHIP_ALIASES = {
    "customer": Relationship.CUSTOMER,
    "kunde": Relationship.CUSTOMER,
    "kundin": Relationship.CUSTOMER,
    "prospect": Relationship.PROSPECT,
    "interessent": Relationship.PROSPECT,
    "interessentin": Relationship.PROSPECT,
}


@dataclass
class Rejected:
    line: int
    values: dict[str, str]
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    error: str = ""

    def rejected_csv(self) -> str:
        """The refused lines as CSV with the reason, ready to correct and import again."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow([*COLUMNS, "fehler"])
        for item in self.rejected:
            writer.writerow([*(item.values.get(c, "") for c in COLUMNS), item.reason])
        return out.getvalue()


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as Excel writes it in Germany."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _reader(text: str) -> csv.DictReader:
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    reader.fieldnames = [
        HEADER_ALIASES.get((name or "").strip().lower(), (name or "").strip().lower())
        for name in reader.fieldnames or []
    ]
    return reader


def _clean(raw: dict, *, default_source: str, default_relationship: str) -> tuple[dict, str]:
    values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    if None in raw:
        return values, _("Zu viele Spalten in dieser Zeile.")
    if not values["email"]:
        return values, _("Die E-Mail-Adresse fehlt.")
    try:
        validate_email(values["email"])
    except ValidationError:
        return values, _("„%(email)s“ ist keine gültige E-Mail-Adresse.") % values
    relationship = values["relationship"].lower() or default_relationship
    if relationship not in RELATIONSHIP_ALIASES and relationship not in Relationship.values:
        return values, _(
            "Beziehung „%(value)s“ unbekannt: erlaubt sind Kunde oder Interessent."
        ) % {"value": values["relationship"]}
    values["relationship"] = RELATIONSHIP_ALIASES.get(relationship, relationship)
    values["source"] = values["source"] or default_source
    if not values["source"]:
        return values, _("Die Herkunft der Daten fehlt (Spalte source oder Feld im Formular).")
    for name, limit in (("name", 150), ("organisation", 200), ("source", 200)):
        if len(values[name]) > limit:
            return values, _("Das Feld %(field)s ist länger als %(limit)s Zeichen.") % {
                "field": name,
                "limit": limit,
            }
    values["email"] = normalise_email(values["email"])
    return values, ""


def customers_import(
    data: bytes, *, default_source: str = "", default_relationship: str = Relationship.CUSTOMER
) -> ImportReport:
    """Import a CSV file of customers and prospects; existing addresses are updated."""
    report = ImportReport()
    text = decode(data)
    reader = _reader(text)
    if "email" not in (reader.fieldnames or []):
        report.error = _(
            "Die Datei hat keine Spalte „email“. Erwartet wird eine Kopfzeile mit: %(cols)s."
        ) % {"cols": ", ".join(COLUMNS)}
        return report
    blocked = set(suppressed_hashes("customer").values_list("address_hash", flat=True))
    seen: set[str] = set()
    with transaction.atomic():
        for raw in reader:
            line = reader.line_num
            values, problem = _clean(
                raw, default_source=default_source, default_relationship=default_relationship
            )
            if not problem and values["email"] in seen:
                problem = _("Die Adresse steht weiter oben schon in der Datei.")
            if not problem and address_digest(values["email"]) in blocked:
                problem = _("Für diese Adresse besteht eine E-Mail-Sperre; nicht importiert.")
            if problem:
                report.rejected.append(Rejected(line, values, problem))
                continue
            seen.add(values["email"])
            fields = {k: values[k] for k in ("name", "organisation", "relationship", "source")}
            _customer, created = Customer.objects.update_or_create(
                email=values["email"],
                defaults={k: v for k, v in fields.items() if v},  # blanks never erase data
                create_defaults=fields,
            )
            if created:
                report.created += 1
            else:
                report.updated += 1
    return report
