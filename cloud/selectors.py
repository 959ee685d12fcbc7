"""Reads for the dashboard: totals of the current organisation, a fixed number of queries."""

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from .models import Receipt, Status


def dashboard_totals() -> dict[str, list[dict]]:
    """Sums and counts by month, project and status, per currency (three grouped queries)."""
    receipts = Receipt.objects.order_by()
    by_month = (
        receipts.annotate(month=TruncMonth("date"))
        .values("month", "currency")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("-month", "currency")
    )
    by_project = (
        receipts.values("project__name", "currency")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("project__name", "currency")
    )
    labels = dict(Status.choices)
    by_status = [
        {**row, "label": labels.get(row["status"], row["status"])}
        for row in receipts.values("status", "currency")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("status", "currency")
    ]
    return {
        "by_month": [dict(row) for row in by_month],
        "by_project": [dict(row) for row in by_project],
        "by_status": by_status,
    }
