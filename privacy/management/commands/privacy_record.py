import json

from django.core.management.base import BaseCommand

from privacy.record import build_record, record_markdown


class Command(BaseCommand):
    help = "Print the record of processing activities (Art. 30 GDPR) as Markdown or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["markdown", "json"], default="markdown")

    def handle(self, *args, format, **options):
        record = build_record()
        if format == "json":
            self.stdout.write(json.dumps(record, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(record_markdown(record))
