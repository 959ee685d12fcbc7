"""The admin site: a page of it needs the password and a second factor (django-otp)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class StaffAdminSite(admin.AdminSite):
    def has_permission(self, request):
        return super().has_permission(request) and request.user.is_verified()


class StaffAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.StaffAdminSite"
