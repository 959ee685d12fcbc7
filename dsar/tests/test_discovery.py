"""Discovery's queries: as many for many rows as for one, and each one served by an index.

bench/dsar.py measures discovery among 100,000 rows per holder; these tests hold on to the two
structural reasons it is fast, so that a change cannot undo them unnoticed.
"""

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts.models import TOTPDevice
from cloud.models import Invitation, Role
from cloud.tests.factories import make_member, make_organisation, make_receipt, make_user
from contact.models import Inquiry, Kind, MailState
from contact.tests.factories import make_event
from dsar.discovery import access_answer, discover, holder_rows
from newsletter.models import Delivery, DeliveryStatus, Subscriber
from newsletter.tests import factories as newsletter_factories
from privacy.audit import audit_log
from privacy.digests import address_digest, normalise_email
from privacy.models import AuditAction
from privacy.registry import registry

from .factories import ADDRESS, make_request, make_staff

pytestmark = pytest.mark.django_db

TODAY = date(2026, 2, 10)


def _person():
    """The person's account, subscription and customer record: one row each by nature."""
    user = make_user(email=ADDRESS.lower())
    newsletter_factories.subscriber(ADDRESS)
    newsletter_factories.customer(ADDRESS, name="Erika Mustermann")
    make_request()
    return user


def _more_rows(user, *, copies: int) -> None:
    """``copies`` more rows in every holder that keeps many rows per person, each with the
    related rows its export shows (organisation, mailing, training, device, content type)."""
    staff = make_staff(f"staff-{uuid.uuid4().hex[:8]}")
    subscriber = Subscriber.objects.get(email__iexact=ADDRESS)
    for _ in range(copies):
        organisation = make_organisation()
        membership = make_member(organisation=organisation, user=user)
        make_receipt(membership=membership)
        Invitation.all_tenants.create(
            organisation=organisation,
            email=ADDRESS,
            role=Role.REVIEWER,
            expires_at=timezone.now() + timedelta(days=7),
        )
        mailing = newsletter_factories.mailing()
        Delivery.objects.create(
            mailing=mailing,
            address=ADDRESS,
            address_hash=address_digest(ADDRESS),
            subscriber=subscriber,
            status=DeliveryStatus.SENT,
            message_id=f"<{mailing.pk}.1@optigem.com>",
            created_at=timezone.now(),
            sent_at=timezone.now(),
        )
        Inquiry.objects.create(
            kind=Kind.TRAINING,
            submission_key=uuid.uuid4(),
            name="Erika Mustermann",
            email=ADDRESS,
            event=make_event(),
            receipt_mail=MailState.SENT,
            staff_mail=MailState.SENT,
            guardian_mail=MailState.NOT_NEEDED,
        )
        TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        device = StaticDevice.objects.create(user=user, name="backup")
        StaticToken.objects.create(device=device, token=uuid.uuid4().hex[:8])
        audit_log(actor=user, action=AuditAction.VIEW, obj=user)
        LogEntry.objects.log_actions(staff.pk, [user], CHANGE, change_message="E-Mail geändert")


def _queries_and_rows() -> tuple[list[str], int]:
    """The queries of discovery and of both exports (machine-readable copy and letter)."""
    with CaptureQueriesContext(connection) as queries:
        findings = discover(ADDRESS)
        access_answer(findings, today=TODAY)
        access_answer(findings, today=TODAY, printable=True, known=(ADDRESS,))
    return [q["sql"] for q in queries.captured_queries], sum(len(f.rows) for f in findings)


def test_discovery_and_export_need_no_more_queries_for_many_rows_than_for_one():
    user = _person()
    _more_rows(user, copies=1)
    few_queries, few_rows = _queries_and_rows()
    _more_rows(user, copies=3)
    many_queries, many_rows = _queries_and_rows()
    assert many_rows == few_rows + 3 * 10  # three more rows in each of ten holders
    assert len(many_queries) == len(few_queries), "\n".join(many_queries)


def full_reads(plan: dict) -> list[str]:
    """The tables a query plan reads in full: a Seq Scan, or an index scan with no condition
    (which reads the whole table in index order)."""
    node = plan["Node Type"]
    reads = []
    if node == "Seq Scan" or (
        node in ("Index Scan", "Index Only Scan") and "Index Cond" not in plan
    ):
        reads.append(f"{node} on {plan['Relation Name']}")
    for child in plan.get("Plans", ()):
        reads += full_reads(child)
    return reads


# Scans PostgreSQL may use only where nothing else reaches the rows. On the few rows of a test a
# full scan costs next to nothing and walking the primary key saves the ORDER BY; priced out, a
# table is read in full only if no index serves the query's conditions on it.
PRICED_OUT = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan")


def test_every_query_of_discovery_finds_its_rows_through_an_index(postgres):
    """A condition no index can serve (an OR across a join, a substring search of a text)
    leaves PostgreSQL no way but to read the whole table, as in bench/dsar.py."""
    _more_rows(_person(), copies=2)
    address = normalise_email(ADDRESS)
    test_only = Path(settings.BASE_DIR) / "tests"
    read_in_full = {}
    for holder in registry.holders.values():
        if Path(holder.get_model()._meta.app_config.path).is_relative_to(test_only):
            continue  # the registry tests' stand-in models, with no indexes to speak of
        with CaptureQueriesContext(connection) as queries:
            holder_rows(holder, address)
        with connection.cursor() as cursor:
            for setting in PRICED_OUT:
                cursor.execute(f"SET LOCAL {setting} = off")
            for query in queries.captured_queries:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {query['sql']}")
                (plans,) = cursor.fetchone()
                read_in_full[holder.model] = full_reads(plans[0]["Plan"])
    assert {holder: reads for holder, reads in read_in_full.items() if reads} == {}
    assert "admin.LogEntry" in read_in_full  # the holder whose texts need the address index
