"""The steps of a data-subject request in the admin, as views of its ModelAdmin.

Discovery, the answer (JSON and printable), the extension of the deadline, rectification,
restriction, erasure and completion of a request, and lifting a restriction. The ModelAdmins in
``admin.py`` add these views to their URLs (``get_urls``); what each step does is in ``services``.
"""

import json
from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from privacy.registry import registry

from . import services
from .discovery import field_label, letter_entries
from .forms import ExtendForm, LiftForm, RectifyForm, RestrictForm
from .models import Restriction, SubjectRequest


class AdminSteps:
    """Views that work on behalf of ``model_admin``: its site, its model, its permissions."""

    def __init__(self, model_admin: admin.ModelAdmin) -> None:
        self.model_admin = model_admin

    def _context(self, http_request, obj, **extra):
        return {
            **self.model_admin.admin_site.each_context(http_request),
            "opts": self.model_admin.model._meta,
            "original": obj,
            "title": str(obj),
            **extra,
        }

    def _form_step(self, http_request, form, step, success) -> bool:
        """Run ``step`` on a POSTed valid form's data; True when it went through.

        A refused step puts its reason on the form, which then shows again with what was typed.
        """
        if http_request.method != "POST" or not form.is_valid():
            return False
        try:
            step(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return False
        messages.success(http_request, success)
        return True


class RequestSteps(AdminSteps):
    """The steps of a request, under ``/admin/dsar/subjectrequest/<pk>/``."""

    def urls(self):
        view = self.model_admin.admin_site.admin_view
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
        ]

    def _request(self, http_request, pk, *, change: bool = True) -> SubjectRequest:
        obj = get_object_or_404(SubjectRequest, pk=pk)
        model_admin = self.model_admin
        allowed = model_admin.has_change_permission if change else model_admin.has_view_permission
        if not allowed(http_request, obj):
            raise PermissionDenied
        return obj

    def _back(self, obj, name="discovery"):
        return redirect(reverse(f"admin:dsar_subjectrequest_{name}", args=[obj.pk]))

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
        extended = self._form_step(
            http_request,
            form,
            lambda data: services.request_extend(  # months, reason, informed_on
                request=obj, actor=http_request.user, today=timezone.localdate(), **data
            ),
            _("Die Frist ist verlängert."),
        )
        if extended:
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
        restricted = self._form_step(
            http_request,
            form,
            lambda data: services.request_restrict(
                request=obj, actor=http_request.user, ground=data["ground"], now=timezone.now()
            ),
            _("Die Verarbeitung ist eingeschränkt: keine E-Mails, Datensätze schreibgeschützt."),
        )
        if restricted:
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


class RestrictionSteps(AdminSteps):
    """Lifting a restriction, under ``/admin/dsar/restriction/<pk>/lift/``."""

    def urls(self):
        view = self.model_admin.admin_site.admin_view(self.lift_view)
        return [path("<int:pk>/lift/", view, name="dsar_restriction_lift")]

    def lift_view(self, http_request, pk):
        restriction = get_object_or_404(Restriction, pk=pk)
        if not self.model_admin.has_change_permission(http_request, restriction):
            raise PermissionDenied
        form = LiftForm(http_request.POST or None)
        lifted = self._form_step(
            http_request,
            form,
            lambda data: services.restriction_lift(  # reason
                restriction=restriction, actor=http_request.user, now=timezone.now(), **data
            ),
            _("Die Einschränkung ist aufgehoben."),
        )
        if lifted:
            return redirect(reverse("admin:dsar_restriction_changelist"))
        context = self._context(
            http_request, restriction, title=_("Einschränkung aufheben"), form=form
        )
        return TemplateResponse(http_request, "dsar/admin/lift.html", context)


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
