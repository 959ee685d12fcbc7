"""The privacy registry: what the site processes, declared by each app in its ``privacy.py``.

The registry is the single source for the policy page, the cookie banner, data-subject
requests, the deletion run and the record of processing activities (Art. 30 GDPR), so
none of them can disagree with another. Declarations are plain frozen dataclasses;
``registry.register(...)`` takes any number of them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast, overload

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.db import models
from django.utils import timezone, translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .digests import normalise_email

Text = str | Promise


class LegalBasis(models.TextChoices):
    CONSENT = "art6-1-a", _("Art. 6 Abs. 1 lit. a DSGVO (Einwilligung)")
    CONTRACT = "art6-1-b", _("Art. 6 Abs. 1 lit. b DSGVO (Vertrag oder vorvertragliche Maßnahmen)")
    LEGAL_OBLIGATION = "art6-1-c", _("Art. 6 Abs. 1 lit. c DSGVO (rechtliche Verpflichtung)")
    LEGITIMATE_INTERESTS = "art6-1-f", _("Art. 6 Abs. 1 lit. f DSGVO (berechtigtes Interesse)")
    TDDDG_CONSENT = (
        "tdddg-25-1",
        _("§ 25 Abs. 1 TDDDG (Einwilligung in den Zugriff auf das Endgerät)"),
    )
    TDDDG_NECESSARY = "tdddg-25-2", _("§ 25 Abs. 2 Nr. 2 TDDDG (unbedingt erforderlich)")


class Role(models.TextChoices):
    CONTROLLER = "controller", _("Verantwortlicher (Art. 4 Nr. 7 DSGVO)")
    PROCESSOR = "processor", _("Auftragsverarbeiter (Art. 28 DSGVO)")


class CookieCategory(models.TextChoices):
    NECESSARY = "necessary", _("Notwendig")
    STATISTICS = "statistics", _("Statistik")


class MailKind(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Bestätigungen und Antworten auf Anfragen")
    NEWSLETTER = "newsletter", _("Newsletter")
    CUSTOMER = "customer", _("Kundenmails")


class RetentionAction(models.TextChoices):
    DELETE = "delete", _("löschen")
    ANONYMISE = "anonymise", _("anonymisieren")


@dataclass(frozen=True)
class Period:
    """A length of time in calendar units: ``Period(months=6)``, ``Period(hours=72)``."""

    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0

    @property
    def delta(self) -> relativedelta:
        return relativedelta(
            years=self.years,
            months=self.months,
            days=self.days,
            hours=self.hours,
            minutes=self.minutes,
        )

    @overload
    def after(self, moment: datetime) -> datetime: ...
    @overload
    def after(self, moment: date) -> date: ...
    def after(self, moment: datetime | date) -> datetime | date:
        return moment + self.delta

    @overload
    def before(self, moment: datetime) -> datetime: ...
    @overload
    def before(self, moment: date) -> date: ...
    def before(self, moment: datetime | date) -> datetime | date:
        return moment - self.delta

    def approximate(self) -> timedelta:
        """The period as a fixed timedelta (a month counts 30 days), for cookie Max-Age."""
        return timedelta(
            days=self.years * 365 + self.months * 30 + self.days,
            hours=self.hours,
            minutes=self.minutes,
        )

    def __str__(self) -> str:
        # Literal ngettext calls, so that makemessages finds every unit.
        units = (
            (self.years, lambda n: ngettext("%(n)d Jahr", "%(n)d Jahre", n)),
            (self.months, lambda n: ngettext("%(n)d Monat", "%(n)d Monate", n)),
            (self.days, lambda n: ngettext("%(n)d Tag", "%(n)d Tage", n)),
            (self.hours, lambda n: ngettext("%(n)d Stunde", "%(n)d Stunden", n)),
            (self.minutes, lambda n: ngettext("%(n)d Minute", "%(n)d Minuten", n)),
        )
        parts = [label(amount) % {"n": amount} for amount, label in units if amount]
        return ", ".join(parts) or ngettext("%(n)d Minute", "%(n)d Minuten", 0) % {"n": 0}


def interpolate(text: Text, **values: object) -> Promise:
    """``text % values`` worked out when it is rendered, so the text and every period in it
    come out in the active language: ``interpolate(_("nach %(period)s"), period=Period(days=3))``.
    """
    text_of = lazy(lambda: str(text) % {name: str(value) for name, value in values.items()}, str)
    return cast(Promise, text_of())


@dataclass(frozen=True)
class NamedPeriod:
    """A period that texts of another app name (the policy names the guardian's 72 hours).

    The declaring app uses the same ``Period`` in its rule and texts; the policy page reads it
    from ``registry.periods[key]``, so no text states a period of its own.
    """

    key: str
    period: Period


@dataclass(frozen=True)
class StatutoryRetention:
    """A statutory retention period, counted from the end of the calendar year of its trigger."""

    key: str
    law: Text
    years: int

    def held_until(self, trigger: date | datetime) -> date:
        """The last day the law keeps a record whose period starts at ``trigger``.

        An aware datetime counts in the site's time zone: 31 December 23:30 UTC is already
        1 January in Germany, so the record belongs to the next calendar year.
        """
        if isinstance(trigger, datetime) and timezone.is_aware(trigger):
            trigger = timezone.localdate(trigger)
        return date(trigger.year + self.years, 12, 31)

    def holds(self, trigger: date | datetime, *, today: date) -> bool:
        return today <= self.held_until(trigger)

    def kept_since(self, *, today: date) -> datetime:
        """The first moment a trigger may fall on for the law still to keep its record ``today``.

        The inverse of ``held_until``: a record is kept exactly when its trigger is on or after
        local midnight of 1 January of the year ``years`` before this one. An aware datetime
        serves DateField and DateTimeField lookups alike (Django takes its local date for a
        DateField), so the database draws the same year boundary as ``held_until``.
        """
        return datetime(today.year - self.years, 1, 1, tzinfo=timezone.get_default_timezone())


HGB_257 = StatutoryRetention(
    key="hgb-257", law=_("§ 257 HGB (Handels- und Geschäftsbriefe)"), years=6
)
AO_147 = StatutoryRetention(
    key="ao-147", law=_("§ 147 AO (Buchungsbelege und Rechnungen)"), years=10
)


@dataclass(frozen=True)
class RetentionRule:
    """What of a holder expires, counted from which date, after how long, and what holds it back.

    ``condition`` narrows the holder's rows the rule applies to (for example only unconfirmed
    entries); ``trigger`` names the date field the period counts from. ``statutory`` keeps rows
    whose ``statutory_trigger`` falls within a statutory period. ``anonymise`` (for the action
    ANONYMISE) takes a queryset and strips every personal field from its rows.
    """

    key: str
    holder: str
    trigger: str
    period: Period
    description: Text
    condition: Callable[[models.QuerySet], models.QuerySet] | None = None
    action: str = RetentionAction.DELETE
    anonymise: Callable[[models.QuerySet], int] | None = None
    statutory: StatutoryRetention | None = None
    statutory_trigger: str | None = None

    def get_model(self) -> type[models.Model]:
        return apps.get_model(self.holder)

    def candidates(self) -> models.QuerySet:
        qs = self.get_model()._default_manager.all()
        return self.condition(qs) if self.condition else qs

    def expired(self, *, now: datetime) -> models.QuerySet:
        """Rows whose period has run out at ``now`` (statutory retention not yet applied)."""
        return self.candidates().filter(**{f"{self.trigger}__lte": self.period.before(now)})

    def statutorily_kept(self, *, today: date) -> models.Q:
        """The rows of this rule that its statutory retention still keeps ``today``.

        The one place the statutory year boundary meets the database: the deletion run
        excludes these rows, an erasure keeps them (Art. 17(3)(b) GDPR). Matches nothing for
        a rule without statutory retention.
        """
        if self.statutory is None:
            return models.Q(pk__in=[])
        field_name = self.statutory_trigger or self.trigger
        return models.Q(**{f"{field_name}__gte": self.statutory.kept_since(today=today)})


@dataclass(frozen=True)
class ProcessingActivity:
    """One processing activity, as the record of Art. 30 GDPR and the policy describe it."""

    key: str
    name: Text
    purpose: Text
    legal_basis: tuple[str, ...]
    data_categories: tuple[Text, ...]
    data_subjects: tuple[Text, ...]
    origin: Text
    recipients: tuple[Text, ...]
    retention: Text
    third_country_transfer: Text | None = None
    retention_rules: tuple[RetentionRule, ...] = ()
    role: str = Role.CONTROLLER
    policy_section: Text = ""


@dataclass(frozen=True)
class Cookie:
    """A cookie the site sets or lets a tool set; ``name`` may be a pattern such as ``_pk_id.*``."""

    name: str
    provider: Text
    purpose: Text
    category: str
    lifetime: Period | None
    legal_basis: str

    def matches(self, cookie_name: str) -> bool:
        return fnmatch.fnmatchcase(cookie_name, self.name)

    @property
    def lifetime_display(self) -> str:
        return str(self.lifetime) if self.lifetime else str(_("Ende der Browsersitzung"))

    @property
    def legal_basis_label(self) -> str:
        return str(LegalBasis(self.legal_basis).label)


def _value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


@dataclass(frozen=True)
class Holder:
    """A model that holds personal data: how to find, export and erase one person's rows.

    ``email_fields`` are lookups (they may follow relations) whose value is an e-mail address
    of the person; ``find`` replaces the default lookup where that is not enough. ``erase``
    takes the person's queryset and removes or anonymises it; the default deletes the rows.
    ``anonymises`` says the eraser keeps the rows without the person (for reports in words).
    ``editable_fields`` are what staff may correct on a rectification request (Art. 16).
    ``export_related`` names relations that exported values read beyond the exported foreign
    keys (a property such as ``mailing_subject`` reads ``mailing``); discovery fetches them
    with the rows instead of with one query per row.
    """

    model: str
    activity: str
    email_fields: tuple[str, ...]
    export_fields: tuple[str, ...]
    editable_fields: tuple[str, ...] = ()
    find: Callable[[str], models.QuerySet] | None = None
    erase: Callable[[models.QuerySet], int] | None = None
    description: Text = ""
    anonymises: bool = False
    export_related: tuple[str, ...] = ()

    def get_model(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def name(self) -> str:
        """The kind of data in words: the model's plural verbose name, never its label."""
        return model_name(self.model)

    def rows_for(self, email: str) -> models.QuerySet:
        address = normalise_email(email)
        if self.find:
            return self.find(address)
        query = models.Q()
        for lookup in self.email_fields:
            query |= models.Q(**{f"{lookup}__iexact": address})
        return self.get_model()._default_manager.filter(query)

    def export(self, rows: Iterable[models.Model]) -> list[dict[str, Any]]:
        return [{name: _value(getattr(row, name)) for name in self.export_fields} for row in rows]

    def erase_rows(self, rows: models.QuerySet) -> int:
        if self.erase:
            return self.erase(rows)
        deleted, _per_model = rows.delete()
        return deleted


def model_name(label: str) -> str:
    """``app_label.Model`` in words (its plural verbose name); the label if it is unknown."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return label
    return str(model._meta.verbose_name_plural)


@dataclass(frozen=True)
class NoPersonalData:
    """A model declared to hold no personal data, with the reason."""

    model: str
    reason: Text


@dataclass(frozen=True)
class Grant:
    """Permissions a staff group needs for its work (``app_label.codename``)."""

    group: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class MailGuard:
    """A reason not to mail an address (a suppression, a restriction of processing).

    ``blocks(address, kind)`` gets the normalised address and a ``MailKind`` and answers
    whether no mail of that kind may go to it. Every sender asks ``registry.mail_blocked``
    right before the SMTP hand-off.
    """

    key: str
    blocks: Callable[[str, str], bool]
    description: Text = ""


@dataclass(frozen=True)
class RetentionHold:
    """Something that holds rows back from the deletion run (a legal hold, an open request).

    ``held(rule, rows)`` gets a rule and the rows it would remove and returns the subset that
    must stay for now; the deletion run reports them under ``reason``.
    """

    key: str
    reason: Text
    held: Callable[[RetentionRule, models.QuerySet], models.QuerySet]


@dataclass(frozen=True)
class RecordGuard:
    """A reason staff may not change or delete a record (a restriction of processing).

    ``locks(obj)`` answers whether ``obj`` is read-only now; every audited admin asks
    ``registry.record_locked`` before it offers to change or delete a record.
    """

    key: str
    locks: Callable[[models.Model], bool]
    description: Text = ""


class SuppressionCause(models.TextChoices):
    """Why one app asks the others to block an address for mail."""

    ERASURE = "erasure", _("Löschung auf Wunsch der Person (Art. 17 DSGVO)")


@dataclass(frozen=True)
class Suppressor:
    """Blocks an address for mail on another app's behalf (after an erasure, no more mail).

    ``suppress(address, cause=..., on=..., reference=...)`` gets the normalised address, a
    ``SuppressionCause``, the day and a reference without personal data. It writes in the
    caller's transaction, so the block and what caused it commit or roll back together.
    """

    key: str
    suppress: Callable[..., object]
    description: Text = ""


STAFF_GROUPS = ("Support", "Marketing", "Datenschutz")


@dataclass
class Registry:
    activities: dict[str, ProcessingActivity] = field(default_factory=dict)
    cookies: dict[str, Cookie] = field(default_factory=dict)
    holders: dict[str, Holder] = field(default_factory=dict)
    no_personal_data: dict[str, NoPersonalData] = field(default_factory=dict)
    grants: dict[str, set[str]] = field(default_factory=dict)
    mail_guards: dict[str, MailGuard] = field(default_factory=dict)
    holds: dict[str, RetentionHold] = field(default_factory=dict)
    record_guards: dict[str, RecordGuard] = field(default_factory=dict)
    suppressors: dict[str, Suppressor] = field(default_factory=dict)
    periods: dict[str, Period] = field(default_factory=dict)

    def register(self, *declarations: object) -> None:
        for item in declarations:
            match item:
                case ProcessingActivity():
                    self._add(self.activities, item.key, item)
                case Cookie():
                    self._add(self.cookies, item.name, item)
                case Holder():
                    self._add(self.holders, item.model, item)
                case NoPersonalData():
                    self._add(self.no_personal_data, item.model, item)
                case MailGuard():
                    self._add(self.mail_guards, item.key, item)
                case RetentionHold():
                    self._add(self.holds, item.key, item)
                case RecordGuard():
                    self._add(self.record_guards, item.key, item)
                case Suppressor():
                    self._add(self.suppressors, item.key, item)
                case NamedPeriod():
                    self._add(self.periods, item.key, item.period)
                case Grant():
                    if item.group not in STAFF_GROUPS:
                        raise ValueError(f"Unknown staff group {item.group!r}")
                    self.grants.setdefault(item.group, set()).update(item.permissions)
                case _:
                    raise TypeError(f"Cannot register {item!r} in the privacy registry")

    @staticmethod
    def _add(table: dict, key: str, item: object) -> None:
        if key in table and table[key] != item:
            raise ValueError(f"{key!r} is declared twice in the privacy registry")
        table[key] = item

    @property
    def retention_rules(self) -> list[RetentionRule]:
        return [rule for act in self.activities.values() for rule in act.retention_rules]

    def mail_blocked(self, address: str, *, kind: str) -> str | None:
        """The key of the first guard that forbids mailing ``address``, or None."""
        normalised = normalise_email(address)
        for guard in self.mail_guards.values():
            if guard.blocks(normalised, kind):
                return guard.key
        return None

    def record_locked(self, obj: models.Model | None) -> str | None:
        """The key of the first guard that makes ``obj`` read-only, or None."""
        if obj is None:
            return None
        return next((g.key for g in self.record_guards.values() if g.locks(obj)), None)

    def suppress(self, address: str, *, cause: str, on: date, reference: str = "") -> list[str]:
        """Ask every suppressor to block ``address``; the keys of those that did."""
        normalised = normalise_email(address)
        for suppressor in self.suppressors.values():
            suppressor.suppress(
                normalised, cause=SuppressionCause(cause), on=on, reference=reference
            )
        return list(self.suppressors)

    def cookie_for(self, cookie_name: str) -> Cookie | None:
        return next((c for c in self.cookies.values() if c.matches(cookie_name)), None)

    def cookies_in(self, category: str) -> list[Cookie]:
        return [c for c in self.cookies.values() if c.category == category]

    def holders_of(self, activity_key: str) -> list[Holder]:
        return [h for h in self.holders.values() if h.activity == activity_key]

    def content(self) -> dict[str, Any]:
        """The registry as plain data in German, the form that is hashed and exported."""
        with translation.override("de"):
            return {
                "activities": [
                    {
                        "key": a.key,
                        "name": str(a.name),
                        "purpose": str(a.purpose),
                        "role": a.role,
                        "legal_basis": list(a.legal_basis),
                        "data_categories": [str(c) for c in a.data_categories],
                        "data_subjects": [str(s) for s in a.data_subjects],
                        "origin": str(a.origin),
                        "recipients": [str(r) for r in a.recipients],
                        "third_country_transfer": _value(a.third_country_transfer),
                        "retention": str(a.retention),
                        "retention_rules": [
                            {
                                "key": r.key,
                                "holder": r.holder,
                                "trigger": r.trigger,
                                "period": str(r.period),
                                "action": r.action,
                                "statutory": r.statutory.key if r.statutory else None,
                                "description": str(r.description),
                            }
                            for r in a.retention_rules
                        ],
                        "holders": sorted(h.model for h in self.holders_of(a.key)),
                    }
                    for a in sorted(self.activities.values(), key=lambda a: a.key)
                ],
                "cookies": [
                    {
                        "name": c.name,
                        "provider": str(c.provider),
                        "purpose": str(c.purpose),
                        "category": c.category,
                        "lifetime": str(c.lifetime) if c.lifetime else None,
                        "legal_basis": c.legal_basis,
                    }
                    for c in sorted(self.cookies.values(), key=lambda c: c.name)
                ],
            }

    def content_hash(self, *, sections: Iterable[str] = ("activities", "cookies")) -> str:
        content = self.content()
        chosen = {name: content[name] for name in sections}
        canonical = json.dumps(chosen, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


registry = Registry()
