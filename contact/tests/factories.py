"""Plain helpers that build training events and form data for the contact tests."""

import uuid
from datetime import timedelta

from django.utils import timezone

from contact.models import TrainingEvent


def make_event(**overrides) -> TrainingEvent:
    now = timezone.now()
    values = {
        "title": "Einführung in OPTIGEM Win-Finanz",
        "slug": f"einfuehrung-{uuid.uuid4().hex[:8]}",
        "starts_at": now + timedelta(days=30),
        "ends_at": now + timedelta(days=30, hours=6),
        "place": "Dortmund",
        "seats": 10,
        "registration_deadline": now + timedelta(days=20),
    }
    values.update(overrides)
    return TrainingEvent.objects.create(**values)


def contact_data(**overrides) -> dict:
    data = {
        "name": "Erika Mustermann",
        "email": "erika@example.org",
        "organisation": "",
        "phone": "",
        "subject": "Frage zur Lizenz",
        "message": "Wie viele Arbeitsplätze umfasst die Grundlizenz?",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def support_data(**overrides) -> dict:
    data = {
        "name": "Max Muster",
        "email": "max@example.org",
        "subject": "Import bricht ab",
        "message": "Beim Import der Kontoauszüge erscheint Fehler 42.",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def training_data(**overrides) -> dict:
    data = {
        "name": "Paula Plan",
        "email": "paula@example.org",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def minor(data: dict, guardian: str = "mutter@example.org") -> dict:
    return {**data, "is_minor": "on", "guardian_email": guardian}
