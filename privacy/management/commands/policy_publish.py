from django.core.management.base import BaseCommand

from privacy.services import policy_publish


class Command(BaseCommand):
    help = "Publish a new version of the privacy policy, bound to the current registry."

    def add_arguments(self, parser):
        parser.add_argument("summary", help="What changed, in one or two sentences.")

    def handle(self, *args, summary, **options):
        version = policy_publish(summary=summary)
        self.stdout.write(f"Published {version} ({version.registry_hash[:12]}).")
