from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from dsar import services
from dsar.discovery import discover
from dsar.models import Restriction, RestrictionGround, Status, SubjectRequest
from privacy.digests import address_digest
from privacy.models import AuditAction, AuditEntry
from privacy.registry import MailKind, registry

from .factories import ADDRESS, make_request, make_staff

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 2, 10, 9, 0, tzinfo=timezone.get_default_timezone())


def _customer(**fields):
    return get_user_model().objects.create_user(
        username="erika", email=ADDRESS.lower(), first_name="Erika", last_name="Musterman", **fields
    )


def test_discovery_finds_rows_of_every_holder_under_the_normalised_address(accounts):
    officer = make_staff("dpo")
    customer = _customer()
    request = make_request(email="  ERIKA.mustermann@example.ORG ")
    found = {f.label: f.rows for f in services.request_discover(request=request, actor=officer)}
    assert found["auth.User"] == [customer]
    assert found["dsar.SubjectRequest"] == [request]
    assert AuditEntry.objects.filter(action=AuditAction.VIEW, object_id=str(request.pk)).exists()


def test_discovery_waits_for_the_identity_check():
    request = make_request(identity_method="", identity_verified_on=None)
    with pytest.raises(ValidationError, match="Identität"):
        services.request_discover(request=request, actor=None)


def test_access_answer_describes_each_activity_from_the_registry(accounts):
    _customer()
    request = make_request()
    answer = services.request_export(request=request, actor=None, today=date(2026, 2, 10))
    activity = next(a for a in answer["activities"] if a["key"] == "test-accounts")
    assert activity["purpose"] == "Betreuung von Kunden"
    assert activity["origin"] == "von Ihnen bei der Bestellung angegeben"
    assert activity["recipients"] == ["Vertrieb der OPTIGEM GmbH"]
    assert activity["retention"] == "bis zum Ende des Vertrags"
    assert activity["legal_basis"][0].startswith("Art. 6 Abs. 1 lit. b DSGVO")
    (record,) = activity["records"]
    assert record["rows"][0]["email"] == ADDRESS.lower()
    assert request.outcome["access"]["json"] == "2026-02-10"
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_id=str(request.pk)).exists()


def test_rectification_changes_only_declared_fields_and_logs_it(accounts):
    customer = _customer()
    request = make_request(wants_rectification=True)
    services.request_rectify(
        request=request,
        actor=None,
        holder_label="auth.User",
        pk=str(customer.pk),
        field_name="last_name",
        value="Mustermann",
    )
    customer.refresh_from_db()
    assert customer.last_name == "Mustermann"
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(customer), object_id=str(customer.pk)
    )
    assert (entry.action, entry.fields) == (AuditAction.CHANGE, ["last_name"])
    with pytest.raises(ValidationError, match="nicht berichtigen"):
        services.request_rectify(
            request=request,
            actor=None,
            holder_label="auth.User",
            pk=str(customer.pk),
            field_name="is_superuser",
            value="1",
        )


def test_rectification_cannot_reach_another_persons_row(accounts):
    other = get_user_model().objects.create_user(username="max", email="max@example.org")
    request = make_request()
    with pytest.raises(ValidationError, match="gehört nicht"):
        services.request_rectify(
            request=request,
            actor=None,
            holder_label="auth.User",
            pk=str(other.pk),
            field_name="last_name",
            value="X",
        )


def test_restriction_blocks_every_kind_of_mail_until_lifted():
    request = make_request(wants_restriction=True)
    restriction = services.request_restrict(
        request=request, actor=None, ground=RestrictionGround.ACCURACY, now=NOW
    )
    for kind in MailKind.values:
        assert registry.mail_blocked(ADDRESS.upper(), kind=kind) == "restriction"
    assert ADDRESS.lower() not in restriction.email_digest
    services.restriction_lift(restriction=restriction, actor=None, reason="geklärt", now=NOW)
    assert registry.mail_blocked(ADDRESS, kind=MailKind.NEWSLETTER) is None
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {AuditAction.RESTRICT, AuditAction.UNRESTRICT} <= actions


def test_a_restriction_needs_a_reason_to_be_lifted():
    restriction = Restriction.objects.create(
        email_digest=address_digest(ADDRESS), ground=RestrictionGround.OBJECTION
    )
    with pytest.raises(ValidationError, match="Grund"):
        services.restriction_lift(restriction=restriction, actor=None, reason=" ", now=NOW)


def test_extension_only_once_and_only_with_a_reason():
    request = make_request()
    with pytest.raises(ValidationError, match="Grund"):
        services.request_extend(
            request=request,
            actor=None,
            months=2,
            reason="",
            informed_on=NOW.date(),
            today=NOW.date(),
        )
    services.request_extend(
        request=request,
        actor=None,
        months=2,
        reason="viele Datenbestände",
        informed_on=NOW.date(),
        today=NOW.date(),
    )
    request.refresh_from_db()
    assert request.due_on == date(2026, 4, 30)
    assert request.extension_informed_on == NOW.date()
    with pytest.raises(ValidationError, match="bereits"):
        services.request_extend(
            request=request,
            actor=None,
            months=1,
            reason="x",
            informed_on=NOW.date(),
            today=NOW.date(),
        )


def test_open_request_holds_the_persons_rows_back_from_the_deletion_run(accounts, declare):
    from privacy.registry import Period, RetentionRule

    customer = _customer()
    other = get_user_model().objects.create_user(username="max", email="max@example.org")
    rule = RetentionRule(
        key="test-accounts",
        holder="auth.User",
        trigger="date_joined",
        period=Period(days=1),
        description="",
    )
    hold = registry.holds["open-request"]
    rows = get_user_model().objects.filter(pk__in=[customer.pk, other.pk])
    assert list(hold.held(rule, rows)) == []
    request = make_request()
    assert list(hold.held(rule, rows)) == [customer]
    services.request_complete(request=request, actor=None, today=NOW.date())
    assert list(hold.held(rule, rows)) == []


def test_completion_reduces_the_request_to_proof_kept_three_years():
    request = make_request(wants_erasure=True)
    services.request_complete(request=request, actor=None, today=date(2026, 2, 20))
    request.refresh_from_db()
    assert (request.status, request.email, request.postal_address) == (Status.COMPLETED, "", "")
    assert request.email_digest == address_digest(ADDRESS)
    (rule,) = [r for r in registry.retention_rules if r.key == "dsar-requests"]
    kept = datetime(2029, 2, 19, tzinfo=NOW.tzinfo)
    assert not rule.expired(now=kept).filter(pk=request.pk).exists()
    assert rule.expired(now=kept + timedelta(days=2)).filter(pk=request.pk).exists()


def test_an_open_request_is_never_expired_by_its_rule():
    request = make_request()
    (rule,) = [r for r in registry.retention_rules if r.key == "dsar-requests"]
    assert not rule.expired(now=NOW + timedelta(days=5000)).filter(pk=request.pk).exists()


def test_completed_request_cannot_be_worked_on():
    request = make_request()
    services.request_complete(request=request, actor=None, today=NOW.date())
    with pytest.raises(ValidationError, match="abgeschlossen"):
        services.request_erase(request=SubjectRequest.objects.get(), actor=None, today=NOW.date())


def test_a_completed_request_finds_nothing_not_even_erased_rows(accounts):
    get_user_model().objects.create_user(username="geloescht-1", email="")
    request = make_request()
    services.request_complete(request=request, actor=None, today=NOW.date())
    with pytest.raises(ValidationError, match="abgeschlossen"):
        services.request_export(request=request, actor=None, today=NOW.date())
    assert discover("  ") == []


def test_extension_refused_once_the_first_deadline_has_passed():
    request = make_request()  # received 31.01.2026, due 28.02.2026
    late = date(2026, 3, 2)
    with pytest.raises(ValidationError, match="nachträglich"):
        services.request_extend(
            request=request, actor=None, months=1, reason="x", informed_on=late, today=late
        )
    with pytest.raises(ValidationError, match="zwischen Eingang der Anfrage und heute"):
        services.request_extend(
            request=request,
            actor=None,
            months=1,
            reason="x",
            informed_on=date(2026, 3, 1),
            today=date(2026, 2, 27),
        )
