"""``manage.py run_deletion [--dry-run]``: the deletion run by hand, with its report per rule."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.deletion import deletion_run
from privacy.deletion_report import rule_lines
from privacy.locks import RunLocked


class Command(BaseCommand):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # argparse needs a str: translated here, in the operator's language
        self.help = _(
            "Führt jede Löschregel des Datenschutz-Verzeichnisses aus und nennt je Regel, wie viele "
            "Zeilen gelöscht oder anonymisiert und wie viele zurückgehalten wurden, und warum. "
            "--dry-run ändert nichts."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Nur berichten, was gelöscht oder anonymisiert würde; nichts ändern."),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help=_("Zeilen je Transaktion (Vorgabe: DELETION_BATCH_SIZE)."),
        )

    def handle(self, *args, dry_run=False, batch_size=None, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError(_("Die Stapelgröße muss mindestens 1 sein."))
        try:
            result = deletion_run(dry_run=dry_run, batch_size=batch_size, started_by="command")
        except RunLocked as exc:
            raise CommandError(
                _("Ein anderer Löschlauf läuft gerade; dieser Lauf wurde nicht gestartet.")
            ) from exc
        as_of = timezone.localtime(result.as_of).strftime("%d.%m.%Y %H:%M")
        if dry_run:
            self.stdout.write(
                _("Probelauf zum Stichzeitpunkt %(at)s: es wird nichts geändert.") % {"at": as_of}
            )
        else:
            self.stdout.write(
                _("Löschlauf Nr. %(id)s zum Stichzeitpunkt %(at)s")
                % {"id": result.run.pk, "at": as_of}
            )
        for rule in result.rules:
            for line in rule_lines(rule.as_record(), dry_run=dry_run):
                self.stdout.write(line)
        if result.errors:
            raise CommandError(
                _("%(n)d Regel(n) mit Fehlern; die übrigen wurden ausgeführt.")
                % {"n": len(result.errors)}
            )
