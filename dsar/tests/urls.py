"""An admin site for tests: auth.User through AuditedModelAdmin, as the apps' holders are."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import path

from privacy.audit import AuditedModelAdmin

site = admin.AdminSite(name="testadmin")
site.register(get_user_model(), AuditedModelAdmin)

urlpatterns = [path("test-admin/", site.urls)]
