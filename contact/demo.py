"""Demo training events for `make run`, so /schulungen/ lists something to register for."""

from datetime import timedelta

from django.utils import timezone

from .models import TrainingEvent

EVENTS = (
    ("einfuehrung-win-finanz", "Einführung in OPTIGEM Win-Finanz", 21, "Dortmund", False, 12),
    ("jahresabschluss-online", "Jahresabschluss im Verein", 35, "", True, 30),
)


def load_demo_content() -> None:
    if TrainingEvent.objects.exists():
        return
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    for slug, title, in_days, place, online, seats in EVENTS:
        starts = today + timedelta(days=in_days)
        TrainingEvent.objects.create(
            slug=slug,
            title=title,
            description="Ein Tag mit Praxisbeispielen, Fragen und Antworten.",
            starts_at=starts,
            ends_at=starts + timedelta(hours=7),
            place=place,
            online=online,
            seats=seats,
            registration_deadline=starts - timedelta(days=7),
        )
