"""The registry's declarations: periods, statutory retention, cookies, duplicates, hashes, guards."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import translation

from privacy.audit import audit_log
from privacy.digests import address_digest, normalise_email
from privacy.models import AuditEntry
from privacy.registry import (
    AO_147,
    HGB_257,
    Cookie,
    CookieCategory,
    Grant,
    LegalBasis,
    MailGuard,
    MailKind,
    Period,
    RecordGuard,
    Registry,
    RetentionRule,
    SuppressionCause,
    Suppressor,
    interpolate,
    registry,
)


def test_period_is_calendar_arithmetic():
    assert Period(months=1).after(date(2025, 1, 31)) == date(2025, 2, 28)
    assert Period(months=1).after(date(2024, 1, 31)) == date(2024, 2, 29)
    assert Period(hours=72).before(datetime(2026, 3, 4, 12, tzinfo=UTC)) == datetime(
        2026, 3, 1, 12, tzinfo=UTC
    )


def test_period_reads_in_both_languages():
    with translation.override("de"):
        assert str(Period(years=1, months=2)) == "1 Jahr, 2 Monate"
    with translation.override("en"):
        assert str(Period(days=14)) == "14 days"


@pytest.mark.parametrize(
    ("trigger", "last_day"),
    [
        (date(2024, 1, 1), date(2030, 12, 31)),
        (date(2024, 12, 31), date(2030, 12, 31)),
        (date(2025, 1, 1), date(2031, 12, 31)),
    ],
)
def test_hgb_counts_from_the_end_of_the_calendar_year(trigger, last_day):
    assert HGB_257.held_until(trigger) == last_day
    assert HGB_257.holds(trigger, today=last_day)
    assert not HGB_257.holds(trigger, today=last_day + timedelta(days=1))


def test_ao_keeps_ten_years():
    assert AO_147.held_until(date(2016, 12, 31)) == date(2026, 12, 31)


def test_cookie_patterns_match_names():
    cookie = Cookie(
        name="_pk_id.*",
        provider="x",
        purpose="x",
        category=CookieCategory.STATISTICS,
        lifetime=Period(months=1),
        legal_basis=LegalBasis.TDDDG_CONSENT,
    )
    assert cookie.matches("_pk_id.1.1fff")
    assert not cookie.matches("_pk_ses.1.1fff")


def test_a_key_declared_twice_differently_is_refused():
    local = Registry()
    guard = MailGuard(key="g", blocks=lambda a, k: False)
    local.register(guard, guard)  # the same declaration twice is harmless (re-import)
    with pytest.raises(ValueError, match="declared twice"):
        local.register(MailGuard(key="g", blocks=lambda a, k: True))


def test_grants_go_only_to_known_groups():
    with pytest.raises(ValueError, match="Unknown staff group"):
        Registry().register(Grant(group="Vertrieb", permissions=()))
    with pytest.raises(TypeError):
        Registry().register(object())


def test_mail_guard_gets_the_normalised_address():
    local = Registry()
    seen = []
    local.register(
        MailGuard(key="list", blocks=lambda a, k: seen.append(a) or a == "anna@example.org")
    )
    assert local.mail_blocked("  Anna@Example.ORG ", kind=MailKind.NEWSLETTER) == "list"
    assert local.mail_blocked("bert@example.org", kind=MailKind.NEWSLETTER) is None
    assert seen == ["anna@example.org", "bert@example.org"]
    assert normalise_email(" X@Y.de ") == "x@y.de"


def test_record_guards_and_suppressors_act_for_the_apps_that_declare_them():
    local = Registry()
    asked = []
    local.register(
        RecordGuard(key="restricted", locks=lambda obj: asked.append(obj) or obj == "locked"),
        Suppressor(
            key="list", suppress=lambda address, **details: asked.append((address, details))
        ),
    )
    assert local.record_locked("locked") == "restricted"
    assert local.record_locked("free") is None
    assert local.record_locked(None) is None  # the admin's "add" page: nothing to guard
    day = date(2026, 2, 10)
    assert local.suppress(" Anna@Example.ORG", cause=SuppressionCause.ERASURE, on=day) == ["list"]
    assert asked[-1] == (
        "anna@example.org",
        {"cause": SuppressionCause.ERASURE, "on": day, "reference": ""},
    )
    with pytest.raises(ValueError):
        local.suppress("anna@example.org", cause="whim", on=day)


def test_interpolated_texts_follow_the_language_and_the_period():
    text = interpolate("Gelöscht nach %(period)s.", period=Period(hours=72))
    with translation.override("de"):
        assert str(text) == "Gelöscht nach 72 Stunden."
    with translation.override("en"):
        assert "72 hours" in str(text)


def test_content_hash_is_stable_and_follows_the_declarations(monkeypatch):
    first = registry.content_hash()
    assert first == registry.content_hash()
    cookies_only = registry.content_hash(sections=("cookies",))
    changed = Cookie(
        name="csrftoken",
        provider="x",
        purpose="anders",
        category=CookieCategory.NECESSARY,
        lifetime=Period(years=1),
        legal_basis=LegalBasis.TDDDG_NECESSARY,
    )
    monkeypatch.setitem(registry.cookies, "csrftoken", changed)
    assert registry.content_hash(sections=("cookies",)) != cookies_only
    assert registry.content_hash() != first


def test_registry_content_is_german_whatever_the_request_language():
    with translation.override("en"):
        content = registry.content()
    names = {a["key"]: a["name"] for a in content["activities"]}
    assert names["website"] == "Bereitstellung der Website"


def test_declared_cookie_lifetimes_are_the_configured_ones():
    csrf = registry.cookie_for("csrftoken")
    session = registry.cookie_for("sessionid")
    assert csrf.lifetime.approximate() == timedelta(seconds=settings.CSRF_COOKIE_AGE)
    assert session.lifetime.approximate() == timedelta(seconds=settings.SESSION_COOKIE_AGE)


@pytest.mark.django_db
def test_retention_rule_selects_rows_past_their_period():
    rule = RetentionRule(
        key="t", holder="privacy.AuditEntry", trigger="at", period=Period(years=3), description="t"
    )
    now = datetime(2026, 6, 1, tzinfo=UTC)
    old = audit_log(
        actor=None, action="view", model=AuditEntry, object_id=1, now=now.replace(2023, 5, 31)
    )
    audit_log(actor=None, action="view", model=AuditEntry, object_id=2, now=now.replace(2023, 6, 2))
    assert list(rule.expired(now=now)) == [old]


def test_address_digest_is_keyed_and_ignores_case_and_spaces(settings):
    settings.ADDRESS_HASH_KEY = "key-one"
    digest = address_digest(" Anna@Example.ORG ")
    assert digest == address_digest("anna@example.org")
    assert "anna" not in digest and len(digest) == 64
    settings.ADDRESS_HASH_KEY = "key-two"
    assert address_digest("anna@example.org") != digest
