"""The dashboard: totals by month, project and status, in a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloud.models import Role, Status

from .factories import make_member, make_organisation, make_project, make_receipt, sign_in

pytestmark = pytest.mark.django_db


def test_totals_by_month_project_and_status(client):
    org = make_organisation()
    member = make_member(organisation=org)
    project = make_project(organisation=org)
    make_receipt(membership=member, amount="10.00", date=datetime.date(2025, 3, 5), project=project)
    make_receipt(
        membership=member, amount="5.50", date=datetime.date(2025, 3, 20), status=Status.APPROVED
    )
    make_receipt(membership=member, amount="7.00", date=datetime.date(2025, 4, 1), project=project)
    make_receipt(membership=make_member(organisation=make_organisation()), amount="999.00")
    sign_in(client, make_member(organisation=org, role=Role.REVIEWER).user)
    totals = client.get(reverse("cloud:dashboard", kwargs={"org": org.slug})).context["totals"]
    by_month = {(r["month"].strftime("%Y-%m"), r["total"]) for r in totals["by_month"]}
    assert by_month == {("2025-03", Decimal("15.50")), ("2025-04", Decimal("7.00"))}
    by_project = {r["project__name"]: r["total"] for r in totals["by_project"]}
    assert by_project == {"Jugendfreizeit": Decimal("17.00"), None: Decimal("5.50")}
    by_status = {r["status"]: (r["count"], r["total"]) for r in totals["by_status"]}
    assert by_status == {"submitted": (2, Decimal("17.00")), "approved": (1, Decimal("5.50"))}


def test_dashboard_and_list_need_the_same_queries_for_few_and_many_receipts(client):
    org = make_organisation()
    member = make_member(organisation=org)
    sign_in(client, make_member(organisation=org, role=Role.REVIEWER).user)
    counts = []
    for _round in range(2):
        for _ in range(5):
            make_receipt(
                membership=member, project=make_project(organisation=org, name=str(_ + 10 * _round))
            )
        for name in ("dashboard", "receipts"):
            with CaptureQueriesContext(connection) as queries:
                assert (
                    client.get(reverse(f"cloud:{name}", kwargs={"org": org.slug})).status_code
                    == 200
                )
            counts.append((name, len(queries)))
    assert counts[:2] == counts[2:]
