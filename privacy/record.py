"""The record of processing activities (Art. 30 GDPR), built from the registry."""

from typing import Any

from django.conf import settings
from django.utils import translation

from .registry import LegalBasis, Role, registry

TECHNICAL_MEASURES = (
    "Verschlüsselte Übertragung (HTTPS mit HSTS), Content-Security-Policy ohne 'unsafe-inline'",
    "Keine Speicherung von IP-Adressen in Datenbank und Protokollen",
    "Rollen im Verwaltungsbereich (Support, Marketing, Datenschutz); Zugriffe werden protokolliert",
    "Regelmäßiger Löschlauf nach den hier genannten Fristen",
    "Hosting in Deutschland; Dienste von Drittanbietern nur wie bei den Tätigkeiten angegeben",
)


def build_record() -> dict[str, Any]:
    content = registry.content()
    with translation.override("de"):
        bases = {code: str(LegalBasis(code).label) for code in LegalBasis.values}
        roles = {code: str(Role(code).label) for code in Role.values}
    for activity in content["activities"]:
        activity["legal_basis"] = [bases[code] for code in activity["legal_basis"]]
        activity["role"] = roles[activity["role"]]
    for cookie in content["cookies"]:
        cookie["legal_basis"] = bases[cookie["legal_basis"]]
    return {
        "controller": dict(settings.CONTROLLER),
        "data_protection_officer": dict(settings.DPO),
        "registry_hash": registry.content_hash(),
        "technical_and_organisational_measures": list(TECHNICAL_MEASURES),
        **content,
    }


def _lines(items) -> str:
    return "; ".join(items) if items else "–"


def record_markdown(record: dict[str, Any]) -> str:
    c, dpo = record["controller"], record["data_protection_officer"]
    out = [
        "# Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)",
        "",
        f"**Verantwortlicher:** {c['name']}, {c['street']}, {c['city']}, "
        f"Tel. {c['phone']}, {c['email']}  ",
        f"**Datenschutzbeauftragter:** {dpo['name']}, {dpo['organisation']}, {dpo['street']}, "
        f"{dpo['city']}, {dpo['email']}  ",
        f"**Prüfsumme des Verzeichnisses:** `{record['registry_hash']}`",
        "",
    ]
    for a in record["activities"]:
        out += [
            f"## {a['name']} (`{a['key']}`)",
            "",
            f"- **Zweck:** {a['purpose']}",
            f"- **Rolle:** {a['role']}",
            f"- **Rechtsgrundlage:** {_lines(a['legal_basis'])}",
            f"- **Betroffene:** {_lines(a['data_subjects'])}",
            f"- **Datenkategorien:** {_lines(a['data_categories'])}",
            f"- **Herkunft:** {a['origin']}",
            f"- **Empfänger:** {_lines(a['recipients'])}",
            f"- **Übermittlung in Drittländer:** {a['third_country_transfer'] or 'keine'}",
            f"- **Löschfrist:** {a['retention']}",
        ]
        for rule in a["retention_rules"]:
            out.append(f"  - Regel `{rule['key']}` ({rule['holder']}): {rule['description']}")
        if a["holders"]:
            out.append(f"- **Datenbestände:** {', '.join(a['holders'])}")
        out.append("")
    out += [
        "## Cookies",
        "",
        "| Name | Anbieter | Zweck | Kategorie | Speicherdauer | Rechtsgrundlage |",
        "|---|---|---|---|---|---|",
    ]
    for k in record["cookies"]:
        out.append(
            f"| `{k['name']}` | {k['provider']} | {k['purpose']} | {k['category']} | "
            f"{k['lifetime'] or 'Sitzung'} | {k['legal_basis']} |"
        )
    out += ["", "## Technische und organisatorische Maßnahmen (Art. 32 DSGVO)", ""]
    out += [f"- {m}" for m in record["technical_and_organisational_measures"]]
    return "\n".join(out) + "\n"
