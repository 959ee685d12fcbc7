"""OPTIGEM administers the organisations centrally; the receipts are the organisations' own
data (processing on their behalf) and have no place in the staff admin."""

from django.contrib import admin

from privacy.audit import AuditedModelAdmin

from .models import Membership, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at", "cancelled_at")
    search_fields = ("name", "slug")
    readonly_fields = ("created_at", "erasure_reminded_at")


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ("organisation", "user", "role")
    list_filter = ("role",)
    raw_id_fields = ("user", "organisation")
