from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class ContactConfig(AppConfig):
    name = "contact"
    verbose_name = _("Kontakt, Support und Schulungen")

    def ready(self):
        from .captcha import configure_package, on_setting_changed

        configure_package()
        setting_changed.connect(on_setting_changed)
