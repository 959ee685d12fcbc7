import uuid

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from privacy.audit import AuditedModelAdmin

from .models import RECEIPT_FIELDS, ConsentReceipt


@admin.register(ConsentReceipt)
class ConsentReceiptAdmin(AuditedModelAdmin):
    """Receipts are proof: staff look them up by consent id and read them; nobody edits them."""

    list_display = ["consent_id", "given_at", "action", "allowed", "policy_version", "language"]
    list_filter = ["action", "policy_version", "language"]
    search_fields = ["consent_id"]
    search_help_text = _("Einwilligungs-ID, wie sie in den Cookie-Einstellungen steht")
    date_hierarchy = "given_at"
    readonly_fields = RECEIPT_FIELDS
    fields = readonly_fields

    @admin.display(description=_("erlaubte Kategorien"))
    def allowed(self, obj: ConsentReceipt) -> str:
        return ", ".join(obj.categories) or "–"

    def get_search_results(self, request, queryset, search_term):
        """Exact lookup by consent id; a term that is not a UUID matches nothing."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            consent_id = uuid.UUID(term)
        except ValueError:
            return queryset.none(), False
        return queryset.filter(consent_id=consent_id), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
