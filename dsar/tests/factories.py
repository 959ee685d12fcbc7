"""Test data for the dsar app; plain functions, no factory library."""

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dsar.models import Channel, IdentityMethod, SubjectRequest

ADDRESS = "Erika.Mustermann@Example.org"


def make_request(**fields) -> SubjectRequest:
    values = {
        "requester_name": "Erika Mustermann",
        "email": ADDRESS,
        "postal_address": "Heidestraße 17\n51147 Köln",
        "channel": Channel.LETTER,
        "received_on": date(2026, 1, 31),
        "letter_reference": "DS-2026-001",
        "wants_access": True,
        "identity_method": IdentityMethod.CODE_BY_POST,
        "identity_verified_on": date(2026, 1, 31),
        **fields,
    }
    return SubjectRequest.objects.create(**values)


def make_staff(username: str, *, group: str | None = "Datenschutz", email: str = ""):
    user = get_user_model().objects.create_user(
        username=username, email=email or f"{username}@optigem.example", is_staff=True
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user
