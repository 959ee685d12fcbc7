from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cloud.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup written by cloud_backup (database and uploaded files)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--database", help="PostgreSQL database to restore into")
        parser.add_argument("--sqlite-path", type=Path, help="SQLite file to restore into")
        parser.add_argument("--media-root", type=Path, help="folder for the files")

    def handle(self, *args, folder, database, sqlite_path, media_root, **options):
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a backup folder")
        try:
            backup_restore(
                folder, database_name=database, sqlite_path=sqlite_path, media_root=media_root
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored: {folder}")
