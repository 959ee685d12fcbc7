from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ContactConfig(AppConfig):
    name = "contact"
    verbose_name = _("Anfragen")

    def ready(self):
        from privacy.roles import sync_group_permissions

        from .captcha import configure_package, on_setting_changed

        configure_package()
        setting_changed.connect(on_setting_changed)
        # privacy syncs the staff groups after its own migrations, before this app's
        # permissions exist; syncing again after ours gives Support what privacy.py grants.
        post_migrate.connect(sync_group_permissions, sender=self)
