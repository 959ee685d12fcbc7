from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from privacy.services import policy_publish


class Command(BaseCommand):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # argparse needs a str: translated here, in the operator's language
        self.help = _(
            "Veröffentlicht eine neue Fassung der Datenschutzerklärung, gebunden an das aktuelle "
            "Verzeichnis."
        )

    def add_arguments(self, parser):
        parser.add_argument("summary", help=_("Was sich geändert hat, in ein bis zwei Sätzen."))

    def handle(self, *args, summary, **options):
        version = policy_publish(summary=summary)
        self.stdout.write(
            _("%(version)s veröffentlicht (Prüfsumme %(hash)s).")
            % {"version": version, "hash": version.registry_hash[:12]}
        )
