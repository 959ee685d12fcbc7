"""Importing customers and prospects from CSV: every line is imported or reported, none is lost.

Lines with errors are reported with their number and a German reason and handed back as CSV
(with a ``fehler`` column) to correct and import again; lines of addresses under an
E-Mail-Sperre are refused, so an erased or blocked address is never re-imported.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.digests import address_digest, normalise_email

from .models import Customer, Relationship
from .suppression import suppressed_hashes

COLUMNS = (
    "name",
    "email",
    "organisation",
    "relationship",
    "source",
    "consent_on",
    "consent_evidence",
)
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
    "consent_on": "consent_on",
    "einwilligung_am": "consent_on",
    "einwilligung am": "consent_on",
    "einwilligung vom": "consent_on",
    "consent_evidence": "consent_evidence",
    "nachweis": "consent_evidence",
    "nachweis der einwilligung": "consent_evidence",
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


GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def _date(text: str) -> date | None:
    """A date written TT.MM.JJJJ or JJJJ-MM-TT, or None."""
    german = GERMAN_DATE.fullmatch(text)
    try:
        if german:
            day, month, year = (int(part) for part in german.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None


def _clean(raw: dict, *, default_source: str) -> tuple[dict, str]:
    values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    if None in raw:
        return values, _("Zu viele Spalten in dieser Zeile.")
    if not values["email"]:
        return values, _("Die E-Mail-Adresse fehlt.")
    try:
        validate_email(values["email"])
    except ValidationError:
        return values, _("„%(email)s“ ist keine gültige E-Mail-Adresse.") % values
    # A blank relationship stays blank here: it is the stored one for a known address and the
    # form's default only for a new one (blanks never overwrite data).
    relationship = values["relationship"].lower()
    if relationship and relationship not in (*RELATIONSHIP_ALIASES, *Relationship.values):
        return values, _(
            "Beziehung „%(value)s“ unbekannt: erlaubt sind Kunde oder Interessent."
        ) % {"value": values["relationship"]}
    values["relationship"] = RELATIONSHIP_ALIASES.get(relationship, relationship)
    values["source"] = values["source"] or default_source
    if not values["source"]:
        return values, _("Die Herkunft der Daten fehlt (Spalte source oder Feld im Formular).")
    if values["consent_on"]:
        consent_on = _date(values["consent_on"])
        if consent_on is None:
            return values, _(
                "„%(value)s“ ist kein Datum der Einwilligung (TT.MM.JJJJ oder JJJJ-MM-TT)."
            ) % {"value": values["consent_on"]}
        if consent_on > timezone.localdate():
            return values, _("Das Datum der Einwilligung liegt in der Zukunft.")
        values["consent_on"] = consent_on.isoformat()
    for name, limit in (
        ("name", 150),
        ("organisation", 200),
        ("source", 200),
        ("consent_evidence", 200),
    ):
        if len(values[name]) > limit:
            return values, _("Das Feld %(field)s ist länger als %(limit)s Zeichen.") % {
                "field": name,
                "limit": limit,
            }
    values["email"] = normalise_email(values["email"])
    return values, ""


def _prospect_without_consent(values: dict, stored: Customer | None) -> str:
    """Why a prospect's line cannot be imported without proof of consent; "" if it can (the
    line names both, or the address already has both and the line leaves them blank)."""
    has_date = values["consent_on"] or (stored is not None and stored.consent_on)
    has_evidence = values["consent_evidence"] or (stored is not None and stored.consent_evidence)
    if has_date and has_evidence:
        return ""
    return _(
        "Interessent ohne Einwilligung: Datum (Spalte consent_on) und Nachweis "
        "(consent_evidence) fehlen; ohne Einwilligung keine Kundenmail."
    )


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
            values, problem = _clean(raw, default_source=default_source)
            if not problem and values["email"] in seen:
                problem = _("Die Adresse steht weiter oben schon in der Datei.")
            if not problem and address_digest(values["email"]) in blocked:
                problem = _("Für diese Adresse besteht eine E-Mail-Sperre; nicht importiert.")
            stored = None if problem else Customer.objects.filter(email=values["email"]).first()
            relationship = values["relationship"] or (
                stored.relationship if stored else default_relationship
            )
            if not problem and relationship == Relationship.PROSPECT:
                problem = _prospect_without_consent(values, stored)
            if problem:
                report.rejected.append(Rejected(line, values, problem))
                continue
            seen.add(values["email"])
            fields = {k: values[k] for k in COLUMNS if k != "email"}
            fields["relationship"] = relationship
            fields["consent_on"] = fields["consent_on"] or None
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
