from django.core.management.base import BaseCommand

from cloud.backup import backup_create, backups_rotate


class Command(BaseCommand):
    help = "Back up the database and the uploaded files, then delete backups past their period."

    def add_arguments(self, parser):
        parser.add_argument("--no-rotate", action="store_true", help="keep old backups")

    def handle(self, *args, **options):
        folder = backup_create()
        self.stdout.write(f"backup: {folder}")
        if not options["no_rotate"]:
            for old in backups_rotate():
                self.stdout.write(f"deleted: {old}")
