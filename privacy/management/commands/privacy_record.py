import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from privacy.record import build_record, record_markdown


class Command(BaseCommand):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # argparse needs a str: translated here, in the operator's language
        self.help = gettext(
            "Gibt das Verzeichnis der Verarbeitungstätigkeiten (Art. 30 DSGVO) als Markdown oder JSON aus."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--format",
            choices=["markdown", "json"],
            default="markdown",
            help=gettext("Ausgabeformat (Vorgabe: markdown)"),
        )

    def handle(self, *args, format, **options):
        record = build_record()
        if format == "json":
            self.stdout.write(json.dumps(record, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(record_markdown(record))
