from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dsar.leakcheck import find_address


class Command(BaseCommand):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # argparse needs a str: translated here, in the operator's language
        self.help = _(
            "Durchsucht jede Textspalte jeder Tabelle nach einer E-Mail-Adresse (ohne Beachtung der "
            "Groß- und Kleinschreibung) und nennt jede Fundstelle als Tabelle.Spalte #Primärschlüssel. "
            "Endet mit einem Fehler, wenn es eine Fundstelle gibt."
        )

    def add_arguments(self, parser):
        parser.add_argument("address", help=_("die gesuchte E-Mail-Adresse"))

    def handle(self, *args, address, **options):
        hits = find_address(address)
        for hit in hits:
            self.stdout.write(f"{hit.table}.{hit.column} #{hit.pk}")
        if hits:
            raise CommandError(_("%(n)d Fundstelle(n) für die Adresse.") % {"n": len(hits)})
        self.stdout.write(_("Keine Fundstellen."))
