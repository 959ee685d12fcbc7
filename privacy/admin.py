from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, PolicyVersion
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
