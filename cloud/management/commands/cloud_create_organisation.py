from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cloud.services.organisations import organisation_create


class Command(BaseCommand):
    help = "Set up a cloud organisation and invite its first main administrator by e-mail."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("slug")
        parser.add_argument("main_admin_email")

    def handle(self, *args, name, slug, main_admin_email, **options):
        try:
            organisation = organisation_create(
                name=name, slug=slug, main_admin_email=main_admin_email
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"organisation {organisation.slug} created, invitation sent")
