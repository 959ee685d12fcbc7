"""Intake and handling of data-subject requests in the admin, for the Datenschutz group."""

import json
from datetime import timedelta
from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from privacy.audit import AuditedModelAdmin
from privacy.registry import registry

from . import clock, services
from .discovery import field_label, letter_entries
from .forms import ExtendForm, LiftForm, RectifyForm, RestrictForm
from .models import Restriction, SubjectRequest


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
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/discovery/",
                view(self.discovery_view),
                name="dsar_subjectrequest_discovery",
            ),
            path(
                "<int:pk>/export.json",
                view(self.export_json_view),
                name="dsar_subjectrequest_export_json",
            ),
            path(
                "<int:pk>/export.html",
                view(self.export_html_view),
                name="dsar_subjectrequest_export_html",
            ),
            path("<int:pk>/extend/", view(self.extend_view), name="dsar_subjectrequest_extend"),
            path("<int:pk>/rectify/", view(self.rectify_view), name="dsar_subjectrequest_rectify"),
            path(
                "<int:pk>/restrict/", view(self.restrict_view), name="dsar_subjectrequest_restrict"
            ),
            path("<int:pk>/erase/", view(self.erase_view), name="dsar_subjectrequest_erase"),
            path(
                "<int:pk>/complete/", view(self.complete_view), name="dsar_subjectrequest_complete"
            ),
            *super().get_urls(),
        ]

    def _request(self, http_request, pk, *, change: bool = True) -> SubjectRequest:
        obj = get_object_or_404(SubjectRequest, pk=pk)
        allowed = self.has_change_permission if change else self.has_view_permission
        if not allowed(http_request, obj):
            raise PermissionDenied
        return obj

    def _back(self, obj, name="discovery"):
        return redirect(reverse(f"admin:dsar_subjectrequest_{name}", args=[obj.pk]))

    def _context(self, http_request, obj, **extra):
        return {
            **self.admin_site.each_context(http_request),
            "opts": self.model._meta,
            "original": obj,
            "title": str(obj),
            **extra,
        }

    def discovery_view(self, http_request, pk):
        obj = self._request(http_request, pk)
        try:
            findings = services.request_discover(request=obj, actor=http_request.user)
        except ValidationError as error:
            messages.error(http_request, " ".join(error.messages))
            return redirect(reverse("admin:dsar_subjectrequest_change", args=[obj.pk]))
        rows = [
            (
                finding,
                list(
                    zip(
                        letter_entries(finding, known=frozenset()),
                        map(partial(_rectify_forms, finding), finding.rows),
                        strict=True,
                    )
                ),
            )
            for finding in findings
        ]
        context = self._context(
            http_request,
            obj,
            findings=rows,
            holder_count=len(registry.holders),
            extend_form=(
                ExtendForm(initial={"informed_on": timezone.localdate()})
                if obj.extended_on is None
                and (obj.due_on is None or obj.due_on >= timezone.localdate())
                else None
            ),
            erasure_preview=services.erasure_preview(request=obj, today=timezone.localdate()),
        )
        return TemplateResponse(http_request, "dsar/admin/discovery.html", context)

    def export_json_view(self, http_request, pk):
        obj = self._request(http_request, pk, change=False)
        if http_request.method != "POST":  # it records that the answer went out
            return self._back(obj)
        answer = self._export(http_request, obj, printable=False)
        if answer is None:
            return self._back(obj)
        response = HttpResponse(
            json.dumps(answer, ensure_ascii=False, indent=2, default=str),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="auskunft-{obj.pk}.json"'
        return response

    def export_html_view(self, http_request, pk):
        obj = self._request(http_request, pk, change=False)
        if http_request.method != "POST":
            return self._back(obj)
        answer = self._export(http_request, obj, printable=True)
        if answer is None:
            return self._back(obj)
        with translation.override("de"):
            return TemplateResponse(
                http_request,
                "dsar/answer.html",
                {"answer": answer, "request": obj, "today": timezone.localdate()},
            ).render()

    def _export(self, http_request, obj, *, printable):
        try:
            return services.request_export(
                request=obj,
                actor=http_request.user,
                today=timezone.localdate(),
                printable=printable,
            )
        except ValidationError as error:
            messages.error(http_request, " ".join(error.messages))
            return None

    def extend_view(self, http_request, pk):
        obj = self._request(http_request, pk)
        form = ExtendForm(http_request.POST or None, initial={"informed_on": timezone.localdate()})
        if http_request.method == "POST" and form.is_valid():
            try:
                services.request_extend(
                    request=obj,
                    actor=http_request.user,
                    months=form.cleaned_data["months"],
                    reason=form.cleaned_data["reason"],
                    informed_on=form.cleaned_data["informed_on"],
                    today=timezone.localdate(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(http_request, _("Die Frist ist verlängert."))
                return redirect(reverse("admin:dsar_subjectrequest_change", args=[obj.pk]))
        context = self._context(http_request, obj, form=form)
        return TemplateResponse(http_request, "dsar/admin/extend.html", context)

    def _run(self, http_request, pk, step, success=None):
        """Run one POSTed step; a refused step comes back as a German message."""
        if http_request.method != "POST":
            raise PermissionDenied
        obj = self._request(http_request, pk)
        try:
            result = step(obj)
        except ValidationError as error:
            messages.error(http_request, " ".join(error.messages))
            return obj, None
        if success:
            messages.success(http_request, success)
        return obj, result

    def rectify_view(self, http_request, pk):
        form = RectifyForm(http_request.POST or None)
        if not form.is_valid():
            messages.error(http_request, _("Bitte einen gültigen Wert angeben."))
            return self._back(self._request(http_request, pk))
        data = form.cleaned_data
        obj, _result = self._run(
            http_request,
            pk,
            lambda obj: services.request_rectify(
                request=obj,
                actor=http_request.user,
                holder_label=data["holder"],
                pk=data["pk"],
                field_name=data["field"],
                value=data["value"],
            ),
            _("Der Wert ist berichtigt."),
        )
        return self._back(obj)

    def restrict_view(self, http_request, pk):
        """GET: what a restriction means for this person; POST: restrict, with the ground."""
        obj = self._request(http_request, pk)
        form = RestrictForm(http_request.POST if http_request.method == "POST" else None)
        if http_request.method == "POST" and form.is_valid():
            try:
                services.request_restrict(
                    request=obj,
                    actor=http_request.user,
                    ground=form.cleaned_data["ground"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    http_request,
                    _(
                        "Die Verarbeitung ist eingeschränkt: keine E-Mails, Datensätze schreibgeschützt."
                    ),
                )
                return self._back(obj)
        context = self._context(
            http_request,
            obj,
            form=form,
            title=_("Verarbeitung einschränken"),
            preview=services.erasure_preview(request=obj, today=timezone.localdate()),
        )
        return TemplateResponse(http_request, "dsar/admin/restrict_confirm.html", context)

    def erase_view(self, http_request, pk):
        """GET: what will be deleted, anonymised and kept, and why; POST: erase."""
        obj = self._request(http_request, pk)
        blocker = services.erasure_blocker(obj)
        if http_request.method == "POST" and blocker is None:
            obj, report = self._run(
                http_request,
                pk,
                lambda obj: services.request_erase(
                    request=obj, actor=http_request.user, today=timezone.localdate()
                ),
            )
            if report is None:
                return self._back(obj)
            context = self._context(http_request, obj, report=report, title=_("Löschbericht"))
            return TemplateResponse(http_request, "dsar/admin/erasure_report.html", context)
        context = self._context(
            http_request,
            obj,
            title=_("Daten löschen"),
            blocker=blocker,
            preview=services.erasure_preview(request=obj, today=timezone.localdate()),
        )
        return TemplateResponse(http_request, "dsar/admin/erase_confirm.html", context)

    def complete_view(self, http_request, pk):
        obj, _result = self._run(
            http_request,
            pk,
            lambda obj: services.request_complete(
                request=obj, actor=http_request.user, today=timezone.localdate()
            ),
            _("Die Anfrage ist abgeschlossen und auf den Nachweis reduziert."),
        )
        return redirect(reverse("admin:dsar_subjectrequest_change", args=[obj.pk]))


def _rectify_forms(finding, row) -> list[RectifyForm]:
    forms = []
    for name in finding.holder.editable_fields:
        form = RectifyForm(
            initial={
                "holder": finding.label,
                "pk": row.pk,
                "field": name,
                "value": getattr(row, name),
            },
            auto_id=f"id_{finding.label}_{row.pk}_{name}_%s".replace(".", "_"),
        )
        form.fields["value"].label = field_label(finding.holder.get_model(), name)
        forms.append(form)
    return forms


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
        view = self.admin_site.admin_view(self.lift_view)
        return [path("<int:pk>/lift/", view, name="dsar_restriction_lift"), *super().get_urls()]

    def lift_view(self, http_request, pk):
        restriction = get_object_or_404(Restriction, pk=pk)
        if not self.has_change_permission(http_request, restriction):
            raise PermissionDenied
        form = LiftForm(http_request.POST or None)
        if http_request.method == "POST" and form.is_valid():
            try:
                services.restriction_lift(
                    restriction=restriction,
                    actor=http_request.user,
                    reason=form.cleaned_data["reason"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(http_request, _("Die Einschränkung ist aufgehoben."))
                return redirect(reverse("admin:dsar_restriction_changelist"))
        context = {
            **self.admin_site.each_context(http_request),
            "opts": self.model._meta,
            "original": restriction,
            "title": _("Einschränkung aufheben"),
            "form": form,
        }
        return TemplateResponse(http_request, "dsar/admin/lift.html", context)
