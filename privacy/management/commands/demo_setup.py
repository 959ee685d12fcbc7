"""Demo content for `make run`: a staff account, a published policy, each app's demo data."""

import importlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from privacy.checks import project_app_configs
from privacy.models import PolicyVersion
from privacy.registry import STAFF_GROUPS
from privacy.services import POLICY_TEXT_CHANGED_ON, policy_publish

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-optigem-2026"


class Command(BaseCommand):
    help = "Create the demo staff account and demo content (demo mode only)."

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("demo_setup runs only in demo mode (optigem_site.settings.dev).")
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={"email": "demo@optigem.invalid", "is_staff": True, "is_superuser": True},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.set(Group.objects.filter(name__in=STAFF_GROUPS))
        if not PolicyVersion.objects.exists():
            policy_publish(
                summary="Neufassung: Verzeichnis, Cookies und Löschfristen aus dem System.",
                changed_on=POLICY_TEXT_CHANGED_ON,
            )
        for config in project_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            module.load_demo_content()
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo ready. Admin: http://127.0.0.1:8000/admin/ "
                f"user '{DEMO_USERNAME}', password '{DEMO_PASSWORD}' (demo mode only).\n"
            )
        )
