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

This module runs the rules; the walk over the keys is ``deletion_walk``, the holds
``deletion_holds``, the PostgreSQL commit setting ``deletion_tuning`` and the record in words
``deletion_report``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from .deletion_holds import rule_holds
from .deletion_tuning import _commits_without_flush
from .deletion_walk import KeyRanges
from .locks import LockLost, run_lock
from .models import DeletionRun, DeletionRunStatus
from .registry import RetentionAction, RetentionRule, registry

logger = logging.getLogger(__name__)


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
    row_holds, selectors = rule_holds(rule, today=today)
    walk = KeyRanges(candidates, batch_size=batch_size)
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
