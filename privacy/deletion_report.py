"""A deletion run's record in words, for staff: what went, what was held back and why."""

from django.utils.translation import gettext as _

from .models import LegalHold
from .registry import AO_147, HGB_257, RetentionAction, model_name, registry

STATUTORY = {s.key: s for s in (HGB_257, AO_147)}


def reason_text(key: str) -> str:
    """The German (or active language's) reason for a held-back key of a run record."""
    kind, _sep, detail = key.partition(":")
    if kind == "statutory":
        statutory = STATUTORY.get(detail) or next(
            (
                r.statutory
                for r in registry.retention_rules
                if r.statutory and r.statutory.key == detail
            ),
            None,
        )
        law = statutory.law if statutory else detail
        return _("gesetzliche Aufbewahrungspflicht nach %(law)s") % {"law": law}
    if kind == "legal-hold":
        legal_hold = LegalHold.objects.filter(pk=detail).first()
        return str(legal_hold) if legal_hold else _("Löschsperre Nr. %(id)s") % {"id": detail}
    hold = registry.holds.get(key)
    return str(hold.reason) if hold else key


def action_text(action: str, *, dry_run: bool) -> str:
    if action == RetentionAction.ANONYMISE:
        return _("würden anonymisiert") if dry_run else _("anonymisiert")
    return _("würden gelöscht") if dry_run else _("gelöscht")


def rule_text(key: str) -> str:
    """A rule as staff read it: its sentence from the registry, not its internal key."""
    for rule in registry.retention_rules:
        if rule.key == key:
            return str(rule.description).rstrip(".")
    return key


def rule_lines(record: dict, *, dry_run: bool) -> list[str]:
    """A rule's result as report lines: what went, what was held back and why, errors."""
    lines = [
        _("„%(rule)s“ (%(holder)s): %(action)s: %(done)d, zurückgehalten: %(held)d")
        % {
            "rule": rule_text(record["rule"]),
            "holder": model_name(record["holder"]),
            "action": action_text(record["action"], dry_run=dry_run),
            "done": record["done"],
            "held": record["held_total"],
        }
    ]
    for key, count in sorted(record["held"].items()):
        lines.append(
            "    "
            + _("%(count)d zurückgehalten wegen: %(reason)s")
            % {"reason": reason_text(key), "count": count}
        )
    for label, count in sorted(record["cascaded"].items()):
        lines.append(
            "    "
            + _("abhängige Datensätze mitgelöscht (%(model)s): %(count)d")
            % {"model": model_name(label), "count": count}
        )
    if record["error"]:
        lines.append(
            "    "
            + _("Fehler: %(error)s (Einzelheiten im Anwendungsprotokoll)")
            % {"error": record["error"]}
        )
    return lines
