from pathlib import Path, PurePosixPath

from django.core.management.base import BaseCommand, CommandError

from cloud.backup import BackupError, backup_restore, backups_list


class Command(BaseCommand):
    help = (
        "Restore a backup written by cloud_backup (database and uploaded files), named as "
        "cloud_backup printed it (a path ending in that name works too)."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup")
        parser.add_argument("--database", help="PostgreSQL database to restore into")
        parser.add_argument("--sqlite-path", type=Path, help="SQLite file to restore into")
        parser.add_argument("--media-root", type=Path, help="folder for the files")

    def handle(self, *args, backup, database, sqlite_path, media_root, **options):
        name = PurePosixPath(backup.rstrip("/")).name
        if name not in backups_list():
            raise CommandError(f"{name} is not a backup (there are: {', '.join(backups_list())})")
        try:
            backup_restore(
                name, database_name=database, sqlite_path=sqlite_path, media_root=media_root
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored: {name}")
