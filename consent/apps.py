from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Cookie-Einwilligungen")

    def ready(self):
        from privacy.models import PolicyVersion

        from .policy import forget_policy

        # A cache invalidation, not domain flow: a new version must ask visitors again.
        post_save.connect(forget_policy, sender=PolicyVersion, dispatch_uid="consent-policy")
        post_delete.connect(forget_policy, sender=PolicyVersion, dispatch_uid="consent-policy-del")
