"""The steps of a data-subject request; each one writes an audit entry (who, what, when)."""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy.audit import audit_log
from privacy.digests import address_digest, normalise_email
from privacy.models import AuditAction, LegalHold
from privacy.registry import Holder, MailKind, SuppressionCause, model_name, registry

from . import clock, leakcheck
from .discovery import Finding, access_answer, discover, statutory_rules
from .models import Restriction, RestrictionGround, Status, SubjectRequest

logger = logging.getLogger(__name__)

DSAR_GROUP = "Datenschutz"

# Who does a step: a staff member, or None for the system (the daily reminder).
Actor = AbstractBaseUser | None


def _require_open(request: SubjectRequest) -> None:
    if not request.is_open:
        raise ValidationError(
            _("Die Anfrage ist abgeschlossen und kann nicht mehr bearbeitet werden.")
        )


def _require_verified(request: SubjectRequest) -> None:
    if request.identity_verified_on is None:
        raise ValidationError(
            _("Bitte erst die Identität der anfragenden Person prüfen und vermerken.")
        )


def _record(request: SubjectRequest, step: str, value) -> None:
    request.outcome = {**request.outcome, step: value}
    request.save(update_fields=["outcome"])


def request_extend(
    *,
    request: SubjectRequest,
    actor: Actor,
    months: int,
    reason: str,
    informed_on: date,
    today: date,
) -> SubjectRequest:
    """Extend the deadline once by one or two months, with the reason (Art. 12(3) sentence 2).

    The person must be told of the extension within the first month (sentence 3): an overdue
    request cannot be extended after the fact, and the day the person was told is recorded.
    """
    _require_open(request)
    if request.extended_on is not None:
        raise ValidationError(_("Die Frist wurde bereits einmal verlängert."))
    if request.due_on is not None and today > request.due_on:
        raise ValidationError(
            _(
                "Die Frist ist am %(due)s abgelaufen. Eine Verlängerung muss der Person innerhalb "
                "der ersten Frist mitgeteilt werden (Art. 12 Abs. 3 Satz 3 DSGVO); nachträglich "
                "ist sie nicht möglich."
            )
            % {"due": request.due_on.strftime("%d.%m.%Y")}
        )
    if informed_on > today or informed_on < request.received_on:
        raise ValidationError(
            _("Das Datum der Unterrichtung muss zwischen Eingang der Anfrage und heute liegen.")
        )
    if not 1 <= months <= clock.MAX_EXTENSION_MONTHS:
        raise ValidationError(_("Die Frist lässt sich um einen oder zwei Monate verlängern."))
    if not reason.strip():
        raise ValidationError(_("Bitte den Grund der Verlängerung angeben."))
    request.extension_months, request.extension_reason = months, reason.strip()
    request.extended_on, request.extension_informed_on = today, informed_on
    request.save()
    audit_log(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=request,
        fields=["extension_months", "extension_reason", "extension_informed_on"],
        note=f"Frist um {months} Monat(e) verlängert",
    )
    return request


def request_discover(*, request: SubjectRequest, actor: Actor) -> list[Finding]:
    """Find the requester's rows in every holder for review."""
    _require_open(request)
    _require_verified(request)
    findings = discover(request.email)
    audit_log(
        actor=actor,
        action=AuditAction.VIEW,
        obj=request,
        note=f"Ermittlung: {sum(len(f.rows) for f in findings)} Datensätze",
    )
    return findings


def request_export(
    *, request: SubjectRequest, actor: Actor, today: date, printable: bool = False
) -> dict:
    """The Art. 15 answer for the requester, free of charge; printable for the letter."""
    _require_open(request)
    _require_verified(request)
    answer = access_answer(
        discover(request.email),
        today=today,
        printable=printable,
        known=(request.email, request.requester_name) if printable else (),
    )
    answer["request"] = {
        "reference": request.letter_reference,
        "received_on": request.received_on.isoformat(),
    }
    kind = "html" if printable else "json"
    audit_log(actor=actor, action=AuditAction.EXPORT, obj=request, note=f"Auskunft ({kind})")
    exported = request.outcome.get("access", {})
    _record(request, "access", {**exported, kind: today.isoformat()})
    return answer


def _day(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d.%m.%Y")
    except (TypeError, ValueError):
        return str(iso)


def _field_name(label: str, name: str) -> str:
    try:
        return str(apps.get_model(label)._meta.get_field(name).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return name


def outcome_lines(outcome: dict) -> list[str]:
    """The recorded steps of a request as sentences for staff, instead of the stored JSON."""
    lines = []
    access = outcome.get("access") or {}
    if "html" in access:
        lines.append(
            _("Auskunft als Schreiben erstellt am %(date)s") % {"date": _day(access["html"])}
        )
    if "json" in access:
        lines.append(_("Datenkopie (JSON) erstellt am %(date)s") % {"date": _day(access["json"])})
    for change in outcome.get("rectification") or []:
        label, _sep, rest = change.partition("#")
        _pk, _sep, name = rest.partition(".")
        lines.append(
            _("Berichtigt: %(data)s, %(field)s")
            % {"data": model_name(label), "field": _field_name(label, name)}
        )
    if restriction := outcome.get("restriction"):
        ground = RestrictionGround(restriction["ground"]).label
        lines.append(
            _("Verarbeitung eingeschränkt seit %(date)s: %(ground)s")
            % {"date": _day(restriction.get("since")), "ground": ground}
        )
    if erasure := outcome.get("erasure"):
        for label, count in (erasure.get("erased") or {}).items():
            lines.append(_("%(data)s: gelöscht (%(n)d)") % {"data": model_name(label), "n": count})
        for label, count in (erasure.get("anonymised") or {}).items():
            lines.append(
                _("%(data)s: anonymisiert (%(n)d)") % {"data": model_name(label), "n": count}
            )
        for kept in erasure.get("kept") or []:
            lines.append(
                _("%(data)s: %(n)d aufbewahrt – %(reason)s")
                % {"data": model_name(kept["holder"]), "n": kept["count"], "reason": kept["reason"]}
            )
        if erasure.get("suppressed"):
            lines.append(_("Die Adresse steht auf der Sperrliste."))
        if leaks := erasure.get("leaks"):
            lines.append(_("Adresse noch an %(n)d Stellen gefunden") % {"n": len(leaks)})
    return lines


def _holder(label: str) -> Holder:
    try:
        return registry.holders[label]
    except KeyError:
        raise ValidationError(_("Unbekannte Datenart.")) from None


@transaction.atomic
def request_rectify(
    *,
    request: SubjectRequest,
    actor: Actor,
    holder_label: str,
    pk: str,
    field_name: str,
    value: str,
) -> None:
    """Correct one declared field of one of the requester's rows (Art. 16)."""
    _require_open(request)
    _require_verified(request)
    holder = _holder(holder_label)
    if field_name not in holder.editable_fields:
        raise ValidationError(_("Dieses Feld lässt sich nicht berichtigen."))
    row = holder.rows_for(request.email).filter(pk=pk).first()
    if row is None:
        raise ValidationError(_("Der Datensatz gehört nicht zu dieser Anfrage."))
    try:
        row._meta.get_field(field_name)
    except FieldDoesNotExist:
        raise ValidationError(_("Dieses Feld lässt sich nicht berichtigen.")) from None
    setattr(row, field_name, value)
    row.full_clean()
    row.save(update_fields=[field_name])
    audit_log(actor=actor, action=AuditAction.CHANGE, obj=row, fields=[field_name], note="Art. 16")
    changes = [*request.outcome.get("rectification", []), f"{holder_label}#{pk}.{field_name}"]
    _record(request, "rectification", changes)
    audit_log(actor=actor, action=AuditAction.CHANGE, obj=request, note="Berichtigung")


def request_restrict(
    *, request: SubjectRequest, actor: Actor, ground: str, now: datetime
) -> Restriction:
    """Restrict processing of the requester's data (Art. 18): no mail, read-only in the admin."""
    _require_open(request)
    _require_verified(request)
    digest = address_digest(request.email)
    if Restriction.objects.active().filter(email_digest=digest).exists():
        raise ValidationError(_("Die Verarbeitung ist für diese Adresse bereits eingeschränkt."))
    restriction = Restriction(
        email_digest=digest, request=request, ground=ground, restricted_at=now
    )
    restriction.full_clean()
    restriction.save()
    audit_log(actor=actor, action=AuditAction.RESTRICT, obj=restriction, note=ground)
    audit_log(actor=actor, action=AuditAction.RESTRICT, obj=request, note=ground)
    _record(request, "restriction", {"ground": ground, "since": now.date().isoformat()})
    return restriction


def restriction_lift(*, restriction: Restriction, actor: Actor, reason: str, now: datetime) -> None:
    """Lift a restriction; the person must be told beforehand (Art. 18(3))."""
    if restriction.lifted_at is not None:
        raise ValidationError(_("Die Einschränkung ist bereits aufgehoben."))
    if not reason.strip():
        raise ValidationError(_("Bitte den Grund der Aufhebung angeben."))
    restriction.lifted_at, restriction.lift_reason = now, reason.strip()
    restriction.save(update_fields=["lifted_at", "lift_reason"])
    audit_log(actor=actor, action=AuditAction.UNRESTRICT, obj=restriction, note="aufgehoben")


# Art. 17(3)(e) GDPR: staff set a legal hold because the data is needed for legal claims.
LEGAL_HOLD_REASON = gettext_lazy(
    "Aufbewahrungssperre: Geltendmachung, Ausübung oder Verteidigung von Rechtsansprüchen (Art. 17 Abs. 3 lit. e DSGVO)"
)


@dataclass
class Kept:
    """Rows that stay after erasure, with the reason (Art. 17(3) GDPR)."""

    holder: str
    name: str
    count: int
    reason: str


@dataclass
class ErasureReport:
    erased: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    kept: list[Kept] = field(default_factory=list)
    suppressed: bool = False
    leaks: list[leakcheck.Hit] = field(default_factory=list)

    @property
    def done(self) -> list[tuple[str, str, int]]:
        """What happened, in words: (kind of data, "gelöscht"/"anonymisiert", count)."""
        return [(model_name(label), str(_("gelöscht")), n) for label, n in self.erased.items()] + [
            (model_name(label), str(_("anonymisiert")), n) for label, n in self.anonymised.items()
        ]

    def as_proof(self) -> dict:
        """The report without personal data, kept with the request."""
        return {
            "erased": self.erased,
            "anonymised": self.anonymised,
            "kept": [{"holder": k.holder, "count": k.count, "reason": k.reason} for k in self.kept],
            "suppressed": self.suppressed,
            "leaks": [f"{h.table}.{h.column}#{h.pk}" for h in self.leaks],
        }


def _statutorily_held(holder: Holder, rows, *, today: date) -> list[tuple[QuerySet, str]]:
    """Per statutory rule of the holder: the rows it still keeps, and the law."""
    held = []
    for rule in statutory_rules(holder):
        candidates = rule.condition(rows) if rule.condition else rows
        kept = candidates.filter(rule.statutorily_kept(today=today))
        held.append((kept, str(rule.statutory.law)))
    return held


def _legally_held(holder: Holder, rows, *, address: str, today: date) -> set:
    """Primary keys of the rows a legal hold in force keeps: all, if it names the address."""
    holds = LegalHold.objects.active(today=today)
    if holds.filter(email__iexact=address).exists():
        return set(rows.values_list("pk", flat=True))
    content_type = ContentType.objects.get_for_model(holder.get_model(), for_concrete_model=False)
    named = set(holds.filter(content_type=content_type).values_list("object_id", flat=True))
    return {pk for pk in rows.values_list("pk", flat=True) if str(pk) in named}


def _erase_holder(
    holder: Holder, address: str, *, actor: Actor, today: date, report: ErasureReport
):
    rows = holder.rows_for(address)
    kept_pks = _legally_held(holder, rows, address=address, today=today)
    if kept_pks:
        report.kept.append(Kept(holder.model, _name(holder), len(kept_pks), str(LEGAL_HOLD_REASON)))
    for kept, law in _statutorily_held(holder, rows, today=today):
        held_pks = set(kept.values_list("pk", flat=True)) - kept_pks
        if held_pks:
            kept_pks |= held_pks
            report.kept.append(Kept(holder.model, _name(holder), len(held_pks), law))
    erasable = rows.exclude(pk__in=kept_pks)
    pks = list(erasable.values_list("pk", flat=True))
    if not pks:
        return
    manager = holder.get_model()._default_manager
    holder.erase_rows(manager.filter(pk__in=pks))
    remaining = set(holder.rows_for(address).filter(pk__in=pks).values_list("pk", flat=True))
    erased = [pk for pk in pks if pk not in remaining]
    for pk in erased:
        audit_log(actor=actor, action=AuditAction.ERASE, model=holder.get_model(), object_id=pk)
    # Rows that still exist but no longer name the person were anonymised, not deleted.
    anonymised = manager.filter(pk__in=erased).count()
    if len(erased) - anonymised:
        report.erased[holder.model] = len(erased) - anonymised
    if anonymised:
        report.anonymised[holder.model] = anonymised
    if remaining:
        activity = registry.activities[holder.activity]
        report.kept.append(
            Kept(holder.model, _name(holder), len(remaining), str(activity.retention))
        )


def _name(holder: Holder) -> str:
    return holder.name


def erasure_blocker(request: SubjectRequest) -> Restriction | None:
    """An active restriction because the person contests accuracy (Art. 18(1)(a)).

    While it is checked whether the data is correct, the data must stay: erasure waits until
    the restriction is lifted.
    """
    if not request.email:
        return None
    return (
        Restriction.objects.active()
        .for_address(request.email)
        .filter(ground=RestrictionGround.ACCURACY)
        .first()
    )


def request_erase(*, request: SubjectRequest, actor: Actor, today: date) -> ErasureReport:
    """Erase the requester's data through every holder's eraser (Art. 17), as one transaction.

    Rows that statutory retention keeps stay, listed with the law (Art. 17(3)(b)). If the
    person wants no more mail, the registry's suppressors block the address (policy §2.4: the
    block is a keyed hash and outlives the erased data). Afterwards every text column of every
    table is searched for the address; hits outside the kept rows and this request itself are
    reported as leaks. Erasure, block, audit entries and the recorded outcome commit together:
    a failure anywhere leaves the person neither erased-but-mailable nor blocked-but-unerased.
    """
    _require_open(request)
    _require_verified(request)
    if erasure_blocker(request):
        raise ValidationError(
            _(
                "Die Löschung ist nicht möglich, solange die Verarbeitung eingeschränkt ist, weil "
                "die Richtigkeit bestritten wird (Art. 18 Abs. 1 lit. a DSGVO). Bitte die "
                "Einschränkung zuerst aufheben."
            )
        )
    address = normalise_email(request.email)
    report = ErasureReport()
    with translation.override("de"), transaction.atomic():
        for holder in registry.holders.values():
            _erase_holder(holder, address, actor=actor, today=today, report=report)
        if request.wants_no_mail:
            report.suppressed = bool(
                registry.suppress(
                    address,
                    cause=SuppressionCause.ERASURE,
                    on=today,
                    reference=f"Betroffenenanfrage {request.pk}",
                )
            )
        report.leaks = [
            hit for hit in leakcheck.find_address(address) if not _expected(hit, request)
        ]
        audit_log(
            actor=actor,
            action=AuditAction.ERASE,
            obj=request,
            note=f"gelöscht {sum(report.erased.values())}, "
            f"behalten {sum(k.count for k in report.kept)}, Funde {len(report.leaks)}",
        )
        _record(request, "erasure", report.as_proof())
    return report


def _expected(hit: leakcheck.Hit, request: SubjectRequest) -> bool:
    """Hits in rows that stay on purpose: this request until its reduction, kept holder rows."""
    if hit.table == SubjectRequest._meta.db_table and hit.pk == str(request.pk):
        return True
    return any(
        holder.get_model()._meta.db_table == hit.table
        and holder.rows_for(request.email).filter(pk=hit.pk).exists()
        for holder in registry.holders.values()
    )


def request_complete(*, request: SubjectRequest, actor: Actor, today: date) -> SubjectRequest:
    """Close the request and reduce it to what proves the answer (kept three years)."""
    _require_open(request)
    if request.email:
        request.email_digest = address_digest(request.email)
    request.status, request.completed_on = Status.COMPLETED, today
    request.email, request.postal_address = "", ""
    request.save()
    audit_log(actor=actor, action=AuditAction.CHANGE, obj=request, note="abgeschlossen")
    return request


def datenschutz_recipients() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(groups__name=DSAR_GROUP, is_active=True, is_staff=True)
        .exclude(email="")
    )
    return sorted({user.email for user in users})


REMINDER_NOTE = "Fristerinnerung"
# Longer than a reminder run can hold its claim: the task's hard time limit (dsar/tasks.py)
# ends a stuck run at 120 s. A claim older than this belongs to a worker that died.
REMINDER_CLAIM_LEASE = timedelta(minutes=10)


def _reminder_claim(requests: list[SubjectRequest], *, today: date, now: datetime) -> str:
    """Claim the requests not yet named today and not held by a live run (one committed
    UPDATE, no lock kept); returns the claim id."""
    claim = uuid.uuid4().hex
    held = Q(reminded_on=today) | Q(reminder_claimed_at__gt=now - REMINDER_CLAIM_LEASE)
    SubjectRequest.objects.filter(pk__in=[r.pk for r in requests]).exclude(held).update(
        reminder_claim=claim, reminder_claimed_at=now
    )
    return claim


def _reminder_release(claim: str, **settled) -> list[str]:
    """Give up the claim (the mail did not go out) or settle it (``reminded_on=today``);
    returns the ids of the requests that were still this run's."""
    mine = SubjectRequest.objects.filter(reminder_claim=claim)
    ids = [str(pk) for pk in mine.values_list("pk", flat=True)]
    mine.update(reminder_claim="", reminder_claimed_at=None, **settled)
    return ids


def requests_remind_due(*, today: date, now: datetime | None = None) -> int:
    """Mail the Datenschutz group about open requests due within seven days (or overdue) and
    those whose identity check has not started after seven days.

    Claim, send, settle: the requests named are claimed in one committed UPDATE before the SMTP
    hand-off and marked ``reminded_on=today`` after the server accepted the mail, so a retried
    or repeated run (or a second worker) names each request at most once a day. A failed send
    gives the claim back, so the retry sends the one mail. A worker that dies after the hand-off
    leaves its claim: a rerun within ``REMINDER_CLAIM_LEASE`` sends nothing, a later rerun
    the same day one second copy (rather than no reminder); tomorrow's run names them anyway.
    """
    now = now or timezone.now()
    due = list(
        SubjectRequest.objects.due_within(clock.REMINDER_DAYS, today=today).order_by("due_on")
    )
    unstarted = list(
        SubjectRequest.objects.identity_unstarted(clock.IDENTITY_FLAG_DAYS, today=today).order_by(
            "received_on"
        )
    )
    if not due and not unstarted:
        return 0
    recipients = []
    for address in datenschutz_recipients():
        blocked = registry.mail_blocked(address, kind=MailKind.TRANSACTIONAL)
        if blocked:
            logger.info("Reminder not sent to a Datenschutz member: blocked by %s", blocked)
        else:
            recipients.append(address)
    if not recipients:
        return 0
    claim = _reminder_claim([*due, *unstarted], today=today, now=now)
    claimed = set(SubjectRequest.objects.filter(reminder_claim=claim).values_list("pk", flat=True))
    due = [r for r in due if r.pk in claimed]
    unstarted = [r for r in unstarted if r.pk in claimed]
    if not due and not unstarted:
        return 0
    with translation.override("de"):
        body = render_to_string(
            "dsar/reminder.txt",
            {
                "requests": due,
                "unstarted": unstarted,
                "today": today,
                "flag_days": clock.IDENTITY_FLAG_DAYS,
            },
        )
        subject = _("Betroffenenanfragen: %(n)d Frist(en) in den nächsten 7 Tagen") % {
            "n": len(due)
        }
        if unstarted:
            subject += ", " + _("%(n)d ohne begonnene Identitätsprüfung") % {"n": len(unstarted)}
    try:
        EmailMessage(subject=subject, body=body, to=recipients).send()
    except BaseException:
        _reminder_release(claim)  # not accepted: the retry may name these requests again
        raise
    for pk in _reminder_release(claim, reminded_on=today):
        audit_log(
            actor=None,
            action=AuditAction.SEND,
            model=SubjectRequest,
            object_id=pk,
            note=REMINDER_NOTE,
            now=now,
        )
    return len(due) + len(unstarted)


def erasure_preview(*, request: SubjectRequest, today: date) -> list[dict]:
    """What an erasure would do, per kind of data, in words, without changing anything.

    The holders' erasers run inside a transaction that is rolled back, so the preview says
    exactly what the erasure will delete, anonymise or keep (and why), eraser by eraser.
    """
    address = normalise_email(request.email)
    counts = {}
    report = ErasureReport()
    with translation.override("de"), transaction.atomic():
        for label, holder in registry.holders.items():
            if count := holder.rows_for(address).count():
                counts[label] = count
                _erase_holder(holder, address, actor=None, today=today, report=report)
        transaction.set_rollback(True)
        preview = []
        for label, count in counts.items():
            holder = registry.holders[label]
            if label in report.anonymised:
                action, affected = _("anonymisiert"), report.anonymised[label]
            else:
                action, affected = _("gelöscht"), report.erased.get(label, 0)
            kept = [(k.count, k.reason) for k in report.kept if k.holder == label]
            preview.append(
                {
                    "name": holder.name,
                    "count": count,
                    "action": str(action),
                    "affected": affected,
                    "kept": kept,
                }
            )
    return preview
