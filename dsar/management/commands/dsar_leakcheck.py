from django.core.management.base import BaseCommand, CommandError

from dsar.leakcheck import find_address


class Command(BaseCommand):
    help = (
        "Search every text column of every table for an e-mail address (case-insensitive) and "
        "list each hit as table.column #primary-key. Exits with an error when there is a hit."
    )

    def add_arguments(self, parser):
        parser.add_argument("address")

    def handle(self, *args, address, **options):
        hits = find_address(address)
        for hit in hits:
            self.stdout.write(f"{hit.table}.{hit.column} #{hit.pk}")
        if hits:
            raise CommandError(f"{len(hits)} hit(s) for the address.")
        self.stdout.write("No hits.")
