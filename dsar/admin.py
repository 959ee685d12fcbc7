"""Intake and handling of data-subject requests in the admin, for the Datenschutz group.

The ModelAdmins: lists, forms, permissions; the steps of a request are views in ``workflow``.
"""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from privacy.audit import AuditedModelAdmin

from . import clock, services
from .models import Restriction, SubjectRequest
from .workflow import RequestSteps, RestrictionSteps


class DeadlineFilter(admin.SimpleListFilter):
    title = _("Frist")
    parameter_name = "frist"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("überfällig")),
            ("soon", _("fällig in 7 Tagen")),
            ("paused", _("ruht (Identität ungeprüft)")),
            (
                "identity-unstarted",
                _("Identitätsprüfung seit über 7 Tagen nicht begonnen"),
            ),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "overdue":
                return queryset.open().filter(due_on__lt=today)
            case "soon":
                return queryset.due_within(clock.REMINDER_DAYS, today=today).filter(
                    due_on__gte=today
                )
            case "paused":
                return queryset.open().filter(identity_verified_on__isnull=True)
            case "identity-unstarted":
                return queryset.identity_unstarted(clock.IDENTITY_FLAG_DAYS, today=today)
        return queryset


@admin.register(SubjectRequest)
class SubjectRequestAdmin(AuditedModelAdmin):
    list_display = [
        "__str__",
        "requester_name",
        "channel",
        "rights",
        "status",
        "deadline",
    ]
    list_filter = ["status", DeadlineFilter, "channel"]
    search_fields = ["requester_name", "letter_reference", "email"]
    date_hierarchy = "received_on"
    change_form_template = "dsar/admin/change_form.html"
    fieldsets = [
        (
            _("Schreiben"),
            {
                "fields": [
                    "requester_name",
                    "email",
                    "postal_address",
                    "channel",
                    "received_on",
                    "letter_reference",
                ]
            },
        ),
        (
            _("Gewünschte Rechte"),
            {
                "fields": [
                    "wants_access",
                    "wants_rectification",
                    "wants_erasure",
                    "wants_restriction",
                    "wants_no_mail",
                ]
            },
        ),
        (
            _("Identitätsprüfung (keine Ausweiskopie speichern)"),
            {"fields": ["identity_check_started_on", "identity_method", "identity_verified_on"]},
        ),
        (
            _("Frist und Ergebnis"),
            {
                "fields": [
                    "deadline",
                    "extension_months",
                    "extension_reason",
                    "extended_on",
                    "extension_informed_on",
                    "status",
                    "completed_on",
                    "outcome_display",
                ]
            },
        ),
    ]
    readonly_fields = [
        "deadline",
        "extension_months",
        "extension_reason",
        "extended_on",
        "extension_informed_on",
        "status",
        "completed_on",
        "outcome_display",
    ]

    class Media:
        css = {"all": ["dsar/admin.css"]}

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_open:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Rechte"))
    def rights(self, obj):
        return ", ".join(obj.rights_display)

    @admin.display(description=_("Frist"), ordering="due_on")
    def deadline(self, obj):
        if obj.pk is None:
            return "–"
        if not obj.is_open:
            return _("beantwortet am %(date)s") % {"date": obj.completed_on.strftime("%d.%m.%Y")}
        today = timezone.localdate()
        if obj.due_on is None:
            days = obj.identity_unstarted_for(today=today)
            if days is not None and days >= clock.IDENTITY_FLAG_DAYS:
                return format_html(
                    '<strong class="dsar-overdue">{}</strong>',
                    _("Identitätsprüfung seit %(days)d Tagen nicht begonnen") % {"days": days},
                )
            return _("ruht: Identität ungeprüft")
        due = obj.due_on.strftime("%d.%m.%Y")
        if obj.is_overdue(today=today):
            return format_html(
                '<strong class="dsar-overdue">{}</strong>',
                _("überfällig seit %(date)s") % {"date": due},
            )
        if obj.due_on <= today + timedelta(days=clock.REMINDER_DAYS):
            return format_html("<strong>{}</strong>", _("fällig am %(date)s") % {"date": due})
        return _("fällig am %(date)s") % {"date": due}

    @admin.display(description=_("Ergebnis"))
    def outcome_display(self, obj):
        lines = services.outcome_lines(obj.outcome)
        if not lines:
            return "–"
        items = format_html_join("", "<li>{}</li>", ((line,) for line in lines))
        return format_html('<ul class="dsar-outcome">{}</ul>', items)

    def get_urls(self):
        return [*RequestSteps(self).urls(), *super().get_urls()]


@admin.register(Restriction)
class RestrictionAdmin(AuditedModelAdmin):
    list_display = ["__str__", "ground", "request", "restricted_at", "lifted_at"]
    list_filter = ["ground", ("lifted_at", admin.EmptyFieldListFilter)]
    readonly_fields = [
        "short_digest",
        "ground",
        "request",
        "restricted_at",
        "lifted_at",
        "lift_reason",
    ]
    fields = tuple(readonly_fields)
    change_form_template = "dsar/admin/restriction_change_form.html"

    @admin.display(description=_("Prüfwert"))
    def short_digest(self, obj):
        return obj.email_digest[:12]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [*RestrictionSteps(self).urls(), *super().get_urls()]
