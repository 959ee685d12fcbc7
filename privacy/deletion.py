"""The regular deletion run of policy §3: every retention rule of the registry, in short batches.

For each rule the run walks the expired rows in ascending primary-key order, one range of keys
(about ``DELETION_BATCH_SIZE`` rows) at a time, and deletes (or anonymises) each range in its
own short transaction. What holds a row back:

- the rule's statutory retention (§ 257 HGB, § 147 AO), counted from the end of the calendar
  year of ``statutory_trigger``; filtered in SQL, since it may cover most of a table;
- a legal hold set by staff (``LegalHold``: one row, or every row of an e-mail address);
- every ``RetentionHold`` of the registry (an open data-subject request, …).

Holds are asked per batch, about that batch's rows only, so the cost of a hold does not grow
with the table. Because each batch commits on its own and the walk restarts from the first
expired row, a run that dies part-way leaves nothing half done, and the next run finishes the
work (idempotent: a deleted row is simply no longer found). Only one run works at a time
(``privacy.locks``); a dry run takes no lock and changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .locks import LockLost, run_lock
from .models import DeletionRun, DeletionRunStatus, LegalHold
from .registry import AO_147, HGB_257, RetentionAction, RetentionRule, model_name, registry

logger = logging.getLogger(__name__)

Selector = Callable[[models.QuerySet], models.QuerySet]


@dataclass
class RuleResult:
    """What one rule did (or would do): counts and reason keys only, never a row's values."""

    rule: str
    holder: str
    action: str
    done: int = 0
    held: dict[str, int] = field(default_factory=dict)
    held_total: int = 0
    cascaded: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    longest_batch_ms: int = 0
    error: str = ""

    def hold_back(self, key: str, count: int) -> None:
        if count:
            self.held[key] = self.held.get(key, 0) + count

    def as_record(self) -> dict:
        return asdict(self)


@dataclass
class RunResult:
    as_of: datetime
    dry_run: bool
    rules: list[RuleResult]
    run: DeletionRun | None = None

    @property
    def errors(self) -> list[dict[str, str]]:
        return [{"rule": r.rule, "error": r.error} for r in self.rules if r.error]


def deletion_run(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    rules: list[RetentionRule] | None = None,
    batch_size: int | None = None,
    started_by: str = "command",
) -> RunResult:
    """Run every retention rule (or ``rules``) as of ``now``; raise ``RunLocked`` if one runs.

    A real run is recorded as a ``DeletionRun`` whose counts are saved as it goes (with each
    renewal of its lease) and at its end; a dry run walks the same rows with the same holds,
    reports what would go, and writes nothing.
    """
    now = now or timezone.now()
    rules = list(registry.retention_rules if rules is None else rules)
    batch_size = batch_size or settings.DELETION_BATCH_SIZE
    if dry_run:
        results = [_rule_result(rule) for rule in rules]
        for rule, result in zip(rules, results, strict=True):
            _guarded(rule, result, now=now, batch_size=batch_size, dry_run=True)
        return RunResult(as_of=now, dry_run=True, rules=results)

    lock = run_lock()
    lock.acquire()
    try:
        return _locked_run(rules, lock=lock, now=now, batch_size=batch_size, started_by=started_by)
    finally:
        lock.release()


def _locked_run(rules, *, lock, now, batch_size, started_by) -> RunResult:
    # Holding the lock, any run still marked as running died without finishing.
    DeletionRun.objects.filter(status=DeletionRunStatus.RUNNING).update(
        status=DeletionRunStatus.ABORTED
    )
    run = DeletionRun.objects.create(started_at=timezone.now(), as_of=now, started_by=started_by)
    results: list[RuleResult] = []

    def progress() -> None:
        if lock.renew_if_due():
            run.rules = [r.as_record() for r in results]
            run.save(update_fields=["rules"])

    try:
        for rule in rules:
            results.append(_rule_result(rule))
            if not _guarded(rule, results[-1], now=now, batch_size=batch_size, on_batch=progress):
                break
    except BaseException:
        _record(run, results, status=DeletionRunStatus.ABORTED)
        raise
    failed = any(r.error for r in results)
    _record(run, results, status=DeletionRunStatus.FAILED if failed else DeletionRunStatus.FINISHED)
    return RunResult(as_of=now, dry_run=False, rules=results, run=run)


def _record(run: DeletionRun, results: list[RuleResult], *, status: str) -> None:
    run.rules = [r.as_record() for r in results]
    run.errors = [{"rule": r.rule, "error": r.error} for r in results if r.error]
    run.status = status
    run.finished_at = timezone.now() if status != DeletionRunStatus.ABORTED else None
    try:
        run.save()
    except DatabaseError:
        # The database itself failed; the next run marks this one as aborted.
        logger.exception("Could not record the end of deletion run %s", run.pk)


def _rule_result(rule: RetentionRule) -> RuleResult:
    return RuleResult(rule=rule.key, holder=rule.holder, action=str(rule.action))


def _guarded(rule: RetentionRule, result: RuleResult, **options) -> bool:
    """Apply one rule; a failing rule is recorded and the run goes on with the next.

    Any exception of a rule (a bug in an app's anonymiser, a constraint, a lost connection) is
    caught here on purpose: one broken rule must not stop every other rule's deletions. The
    record names the exception class only, since its message may quote a row's values.
    Returns False when the run must stop altogether (its lock is gone).
    """
    try:
        _rule_apply(rule, result, **options)
    except LockLost:
        result.error = "LockLost"
        return False
    except Exception as exc:
        logger.exception("Retention rule %s failed", rule.key)
        result.error = type(exc).__name__
    else:
        logger.info(
            "Retention rule %s (%s): %d rows, %d held back",
            rule.key,
            rule.action,
            result.done,
            result.held_total,
        )
    return True


def _rule_apply(
    rule: RetentionRule,
    result: RuleResult,
    *,
    now: datetime,
    batch_size: int,
    dry_run: bool = False,
    on_batch: Callable[[], None] = lambda: None,
) -> None:
    if rule.action == RetentionAction.ANONYMISE and rule.anonymise is None:
        raise ValueError(f"Retention rule {rule.key} anonymises but names no anonymiser")
    today = timezone.localdate(now)
    candidates = rule.expired(now=now)
    if rule.statutory:
        kept = rule.statutorily_kept(today=today)
        held = candidates.filter(kept).count()
        result.hold_back(f"statutory:{rule.statutory.key}", held)
        result.held_total += held
        candidates = candidates.exclude(kept)
    row_holds, selectors = _holds(rule, today=today)
    walk = _KeyRanges(candidates, batch_size=batch_size)
    with nullcontext() if dry_run else _commits_without_flush():
        while (bounds := walk.next()) is not None:
            started = time.monotonic()
            with nullcontext() if dry_run else transaction.atomic():
                batch = candidates.filter(pk__gt=bounds[0]) if bounds[0] is not None else candidates
                batch = batch.filter(pk__lte=bounds[1])
                seen = _batch_apply(rule, result, batch, row_holds, selectors, dry_run=dry_run)
            walk.saw(seen)
            if seen:
                result.batches += 1
                elapsed = round((time.monotonic() - started) * 1000)
                result.longest_batch_ms = max(result.longest_batch_ms, elapsed)
            on_batch()


class _KeyRanges:
    """The ranges of primary keys, ``(lower, upper]``, in which a rule's batches lie.

    Integer keys are walked in ranges whose width adapts to how densely the expired rows lie,
    aiming at ``batch_size`` rows a batch and never wider than ``MAX_WIDTH`` batches (so never
    more rows than that in one transaction): finding a range costs no query at all. A count
    taken first says when every expired row has been seen, so the walk never searches the rest
    of the table for rows that are not there; after an empty range it looks up the next expired
    key to jump the gap. Other keys (UUIDs, text) are paged: the ``batch_size``-th next key
    bounds the range.
    """

    MAX_WIDTH = 4

    def __init__(self, candidates: models.QuerySet, *, batch_size: int):
        self.candidates = candidates
        self.batch_size = batch_size
        self.integer = isinstance(candidates.model._meta.pk, models.IntegerField)
        self.remaining = candidates.count()
        self.width = batch_size
        self.lower: int | None = None
        self.jump = True
        self.last_page = False

    def next(self) -> tuple | None:
        if self.remaining <= 0 or self.last_page:
            return None
        if not self.integer:
            return self._page()
        if self.jump:
            after = (
                self.candidates if self.lower is None else self.candidates.filter(pk__gt=self.lower)
            )
            first = after.order_by("pk").values_list("pk", flat=True).first()
            if first is None:
                return None
            self.lower = first - 1
        assert self.lower is not None  # set by the jump above on the first call
        upper = self.lower + self.width
        bounds, self.lower = (self.lower, upper), upper
        return bounds

    def saw(self, rows: int) -> None:
        self.remaining -= rows
        self.jump = rows == 0
        if self.integer and rows:
            wanted = self.width * self.batch_size // rows
            self.width = max(1, min(wanted, self.batch_size * self.MAX_WIDTH))

    def _page(self) -> tuple | None:
        after = self.candidates if self.lower is None else self.candidates.filter(pk__gt=self.lower)
        edge = (
            after.order_by("pk")
            .values("pk")[: self.batch_size]
            .aggregate(upper=Max("pk"), rows=Count("pk"))
        )
        if not edge["rows"]:
            return None
        self.last_page = edge["rows"] < self.batch_size
        bounds, self.lower = (self.lower, edge["upper"]), edge["upper"]
        return bounds


@contextmanager
def _commits_without_flush():
    """On PostgreSQL, the batches' commits do not wait for the disk.

    A batch lost in a crash before it reached the disk is simply found again by the next run,
    so the run needs no durable commit per batch and saves a disk flush for each: 27 % of a
    run over 200,000 expired rows (bench/optimisations.py, case 5). The run's own record is
    saved durably again afterwards.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _batch_apply(rule, result, batch, row_holds, selectors, *, dry_run: bool) -> int:
    """Hold back what a hold keeps of this batch, then delete or anonymise the rest.

    Returns how many of the rule's rows the batch held (gone and held back together).

    ``batch`` is the rule's expired rows within one range of primary keys; deleting it as a
    range (not as a list of keys) lets the database walk the primary-key index once, and
    re-checks the rule's conditions at the moment of deletion.
    """
    held: set = set()
    if row_holds:
        for pk in batch.filter(pk__in=list(row_holds)).values_list("pk", flat=True):
            result.hold_back(row_holds[pk], 1)
            held.add(pk)
    by_key: dict[str, set] = {}
    for key, select in selectors:
        # Intersected with the batch, in case a hold answers with more rows than it was asked
        # about: the walk counts on every held key lying within the batch. One hold may select
        # through several paths (the row itself, a row its deletion cascades to); a row counts
        # once per hold.
        chosen = select(batch).filter(pk__in=batch.values("pk"))
        by_key.setdefault(key, set()).update(chosen.values_list("pk", flat=True))
    for key, keys in by_key.items():
        result.hold_back(key, len(keys))
        held |= keys
    result.held_total += len(held)
    going = batch.exclude(pk__in=held) if held else batch
    if dry_run:
        done = going.count()
    elif rule.action == RetentionAction.ANONYMISE:
        done = rule.anonymise(going)
    else:
        _total, per_model = going.delete()
        done = per_model.pop(rule.get_model()._meta.label, 0)
        result.cascaded = dict(Counter(result.cascaded) + Counter(per_model))
    result.done += done
    return done + len(held)


def _holds(rule: RetentionRule, *, today) -> tuple[dict, list[tuple[str, Selector]]]:
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
