from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Datenschutz")

    def ready(self):
        from . import checks, deploy_checks  # noqa: F401  (registers the system checks)
        from .roles import sync_group_permissions

        autodiscover_modules("privacy")
        # After every app's migrations, not only privacy's: the apps after it add the permissions
        # the groups are granted (the last call sees them all).
        post_migrate.connect(sync_group_permissions, dispatch_uid="privacy.sync_group_permissions")
