"""Staff work on requests here; only the Support group is granted access (see privacy.py)."""

from urllib.parse import quote

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from privacy.audit import AuditedModelAdmin, audit_log
from privacy.models import AuditAction

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
        (None, {"fields": ("status", "closed_at", "reply")}),
        (_("Anfrage"), {"fields": CONTENT_FIELDS}),
        (_("E-Mails"), {"fields": MAIL_FIELDS}),
    )
    readonly_fields = ("closed_at", "reply", *CONTENT_FIELDS, *MAIL_FIELDS)
    actions = ["close_selected"]

    def get_queryset(self, request):
        # A minor's request stays invisible until a guardian has agreed (policy §1.5).
        return super().get_queryset(request).visible_to_staff().select_related("event")

    def has_add_permission(self, request):
        return False  # requests come from the website's forms only

    def save_model(self, request, obj, form, change):
        inquiry_set_status(inquiry=obj, status=obj.status)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("Antworten"))
    def reply(self, obj):
        """A link that opens the staff member's mail program with address and subject."""
        if not obj.email:
            return "–"
        subject = _("Ihre Anfrage bei OPTIGEM: %(subject)s") % {"subject": obj.subject or obj}
        return format_html(
            '<a class="button" href="mailto:{}?subject={}">{}</a>',
            quote(obj.email, safe="@"),
            quote(str(subject)),
            _("Antwort im Mailprogramm schreiben"),
        )

    @admin.action(description=_("Ausgewählte Anfragen abschließen"), permissions=["change"])
    def close_selected(self, request, queryset):
        """Close each open selected request; one audit entry per request, like the change form."""
        closed = 0
        for inquiry in queryset.exclude(status=Status.CLOSED):
            inquiry_set_status(inquiry=inquiry, status=Status.CLOSED)
            audit_log(
                actor=request.user,
                action=AuditAction.CHANGE,
                obj=inquiry,
                fields=["status"],
                note="abgeschlossen (Sammelaktion)",
            )
            closed += 1
        if closed:
            self.message_user(
                request,
                ngettext("%(n)d Anfrage abgeschlossen.", "%(n)d Anfragen abgeschlossen.", closed)
                % {"n": closed},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, _("Die ausgewählten Anfragen waren schon abgeschlossen."), messages.INFO
            )


@admin.register(TrainingEvent)
class TrainingEventAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_at", "place", "online", "seats", "registration_deadline")
    list_filter = ("online",)
    search_fields = ("title", "place")
    prepopulated_fields = {"slug": ("title",)}
