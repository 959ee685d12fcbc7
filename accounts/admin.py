from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice

from . import services
from .models import TOTPDevice

# django-otp's own admin would show the backup codes to anyone allowed to view them.
if admin.site.is_registered(StaticDevice):
    admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    """Staff members' authenticator apps; only a superuser resets one (audited)."""

    list_display = ["user", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    fields = readonly_fields = ("user", "confirmed", "created_at", "last_used_at")
    actions = ["reset_second_factor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_reset_permission(self, request):
        return request.user.is_superuser

    @admin.action(
        description=_("Zweiten Faktor zurücksetzen (neue Einrichtung bei der nächsten Anmeldung)"),
        permissions=["reset"],
    )
    def reset_second_factor(self, request, queryset):
        users = {device.user for device in queryset.select_related("user")}
        users.discard(request.user)
        for user in users:
            services.second_factor_reset(actor=request.user, user=user)
        self.message_user(
            request,
            ngettext(
                "Der zweite Faktor von %(count)d Person wurde zurückgesetzt.",
                "Der zweite Faktor von %(count)d Personen wurde zurückgesetzt.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )
