from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .audit import AuditedModelAdmin
from .deletion import deletion_run
from .deletion_report import rule_lines
from .digests import normalise_email
from .locks import RunLocked
from .models import AuditEntry, DeletionRun, DeletionRunStatus, LegalHold, PolicyVersion
from .registry import registry
from .services import policy_publish


class PolicyPublishForm(forms.ModelForm):
    class Meta:
        model = PolicyVersion
        fields = ["changed_on", "summary"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["number", "changed_on", "published_at", "short_hash", "matches_registry"]
    readonly_fields = [
        "number",
        "changed_on",
        "summary",
        "registry_hash",
        "consent_hash",
        "published_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PolicyPublishForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else ["changed_on", "summary"]

    def get_changeform_initial_data(self, request):
        return {"changed_on": timezone.localdate()}

    def save_model(self, request, obj, form, change):
        published = policy_publish(
            summary=form.cleaned_data["summary"], changed_on=form.cleaned_data["changed_on"]
        )
        obj.pk = published.pk
        messages.success(request, _("Version %(n)s ist veröffentlicht.") % {"n": published.number})

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        current = PolicyVersion.objects.current()
        if current is None:
            messages.warning(request, _("Es ist noch keine Version veröffentlicht."))
        elif current.registry_hash != registry.content_hash():
            messages.warning(
                request,
                _(
                    "Das Verarbeitungsverzeichnis hat sich seit Version %(n)s geändert: "
                    "bitte eine neue Version veröffentlichen."
                )
                % {"n": current.number},
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("Prüfsumme"))
    def short_hash(self, obj):
        return obj.registry_hash[:12]

    @admin.display(description=_("entspricht dem Verzeichnis"), boolean=True)
    def matches_registry(self, obj):
        return obj.registry_hash == registry.content_hash()


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "content_type", "object_id", "note"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_id", "actor__username", "note"]
    date_hierarchy = "at"
    list_select_related = ["actor", "content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LegalHoldForm(forms.ModelForm):
    """A hold names one row of a personal-data holder, or an e-mail address; never both."""

    class Meta:
        model = LegalHold
        fields = ["content_type", "object_id", "email", "reason", "until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        models = [holder.get_model() for holder in registry.holders.values()]
        types = ContentType.objects.get_for_models(*models, for_concrete_models=False)
        self.fields["content_type"].queryset = ContentType.objects.filter(
            pk__in=[ct.pk for ct in types.values()]
        )
        self.fields["content_type"].label = _("Datensatz aus")

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])

    def clean_until(self):
        until = self.cleaned_data["until"]
        if self.instance.pk is None and until < timezone.localdate():
            raise ValidationError(_("Das Enddatum einer neuen Sperre darf nicht vergangen sein."))
        return until

    def clean(self):
        cleaned = super().clean()
        content_type = cleaned.get("content_type")
        object_id = cleaned.get("object_id", "").strip()
        email = cleaned.get("email", "")
        if bool(content_type or object_id) == bool(email):
            raise ValidationError(
                _(
                    "Bitte entweder einen Datensatz (Art und Nummer) oder eine E-Mail-Adresse "
                    "angeben, nicht beides."
                )
            )
        if email:
            return cleaned
        if not content_type or not object_id:
            raise ValidationError(_("Für einen Datensatz bitte Art und Nummer angeben."))
        model = content_type.model_class()
        try:
            exists = model._base_manager.filter(pk=object_id).exists()
        except (ValueError, ValidationError):
            exists = False
        if not exists:
            self.add_error("object_id", _("Einen Datensatz mit dieser Nummer gibt es nicht."))
        cleaned["object_id"] = object_id
        return cleaned


@admin.register(LegalHold)
class LegalHoldAdmin(AuditedModelAdmin):
    form = LegalHoldForm
    list_display = ["__str__", "target", "until", "in_force", "created_at", "created_by"]
    list_filter = ["content_type"]
    search_fields = ["email", "object_id", "reason"]
    readonly_fields = ["created_at", "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("gesperrt"))
    def target(self, obj):
        if obj.email:
            return obj.email
        return f"{obj.content_type} #{obj.object_id}"

    @admin.display(description=_("in Kraft"), boolean=True)
    def in_force(self, obj):
        return obj.until >= timezone.localdate()


@admin.register(DeletionRun)
class DeletionRunAdmin(admin.ModelAdmin):
    """The run records, read-only: the Datenschutz group sees what each run did."""

    list_display = ["started_at", "finished_at", "status", "trigger", "done", "held", "errors"]
    list_filter = ["status"]
    date_hierarchy = "started_at"
    fields = readonly_fields = ("started_at", "finished_at", "as_of", "status", "trigger", "report")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("start/", view(self.start_view), name="privacy_deletionrun_start"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_start": self.has_view_permission(request)}
        return super().changelist_view(request, extra_context)

    def start_view(self, request):
        """Dry run first (read only, shown here), then the real run as a task."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Löschlauf starten"),
            "opts": self.model._meta,
        }
        if request.method == "POST" and request.POST.get("step") == "real":
            if request.POST.get("confirm") != "yes":
                messages.error(request, _("Bitte bestätigen Sie, dass der Löschlauf starten soll."))
            else:
                from .tasks import run_deletion

                run_deletion.delay_on_commit(started_by=f"admin:{request.user.get_username()}")
                messages.success(
                    request,
                    _(
                        "Der Löschlauf wurde gestartet. Sein Bericht steht in der Liste, "
                        "sobald er fertig ist."
                    ),
                )
                return redirect("admin:privacy_deletionrun_changelist")
        if request.method == "POST":
            try:
                result = deletion_run(dry_run=True)
            except RunLocked:
                messages.error(request, _("Ein anderer Löschlauf läuft gerade."))
            else:
                context["dry_done"], context["as_of"] = True, result.as_of
                context["lines"] = [
                    line
                    for rule in result.rules
                    for line in rule_lines(rule.as_record(), dry_run=True)
                ]
                context["errors"] = result.errors
        return TemplateResponse(request, "admin/privacy/deletionrun/start.html", context)

    TRIGGERS = {
        "command": _("Befehl run_deletion"),
        "beat": _("Zeitplan (täglich)"),
        "bench": _("Messlauf"),
    }

    @admin.display(description=_("ausgelöst durch"), ordering="started_by")
    def trigger(self, obj):
        """In words: the stored value is a short code ("beat", "command")."""
        if obj.started_by.startswith("admin:"):
            return _("Verwaltung (%(user)s)") % {"user": obj.started_by.removeprefix("admin:")}
        return self.TRIGGERS.get(obj.started_by, obj.started_by)

    @admin.display(description=_("gelöscht oder anonymisiert"))
    def done(self, obj):
        return sum(rule["done"] for rule in obj.rules)

    @admin.display(description=_("zurückgehalten"))
    def held(self, obj):
        return sum(rule["held_total"] for rule in obj.rules)

    @admin.display(description=_("Fehler"))
    def errors(self, obj):
        return len(obj.errors)

    @admin.display(description=_("Ergebnis je Regel"))
    def report(self, obj):
        lines = [line for rule in obj.rules for line in rule_lines(rule, dry_run=False)]
        if obj.status == DeletionRunStatus.ABORTED:
            lines.append(str(_("Der Lauf brach ab; der nächste Lauf erledigt den Rest.")))
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in lines))
        )
