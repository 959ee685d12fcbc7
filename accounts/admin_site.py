"""The admin site: a page of it needs the password and a second factor (django-otp)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class StaffAdminSite(admin.AdminSite):
    def has_permission(self, request):
        # Without OTPMiddleware (a bare RequestFactory request) nobody counts as verified.
        verified = getattr(request.user, "is_verified", None)
        return super().has_permission(request) and bool(verified and verified())


class StaffAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.StaffAdminSite"
