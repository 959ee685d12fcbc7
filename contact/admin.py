"""Staff work on requests here; only the Support group is granted access (see privacy.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from privacy.audit import AuditedModelAdmin

from .models import Inquiry, Status, TrainingEvent
from .services import inquiry_set_status

CONTENT_FIELDS = (
    "kind",
    "created_at",
    "event",
    "name",
    "email",
    "organisation",
    "phone",
    "customer_number",
    "product",
    "subject",
    "message",
    "is_minor",
    "guardian_email",
    "guardian_confirmed_at",
)
MAIL_FIELDS = ("receipt_mail", "staff_mail", "guardian_mail")


@admin.register(Inquiry)
class InquiryAdmin(AuditedModelAdmin):
    list_display = ("__str__", "kind", "status", "name", "created_at", "event")
    list_filter = ("status", "kind", "event")
    search_fields = ("name", "email", "organisation", "subject", "message", "customer_number")
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("status", "closed_at")}),
        (_("Anfrage"), {"fields": CONTENT_FIELDS}),
        (_("E-Mails"), {"fields": MAIL_FIELDS}),
    )
    readonly_fields = ("closed_at", *CONTENT_FIELDS, *MAIL_FIELDS)
    actions = ["close_selected"]

    def get_queryset(self, request):
        # A minor's request stays invisible until a guardian has agreed (policy §1.5).
        return super().get_queryset(request).visible_to_staff().select_related("event")

    def has_add_permission(self, request):
        return False  # requests come from the website's forms only

    def save_model(self, request, obj, form, change):
        inquiry_set_status(inquiry=obj, status=obj.status)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Ausgewählte Anfragen abschließen"), permissions=["change"])
    def close_selected(self, request, queryset):
        for inquiry in queryset:
            inquiry_set_status(inquiry=inquiry, status=Status.CLOSED)


@admin.register(TrainingEvent)
class TrainingEventAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_at", "place", "online", "seats", "registration_deadline")
    list_filter = ("online",)
    search_fields = ("title", "place")
    prepopulated_fields = {"slug": ("title",)}
