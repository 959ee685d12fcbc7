"""Test data for the dsar app; plain functions, no factory library."""

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dsar.models import Channel, IdentityMethod, SubjectRequest
from privacy.roles import sync_group_permissions

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
    # privacy's post_migrate sync runs before the later apps' permissions exist on a fresh
    # database; sync again so the groups have the permissions declared in the registry.
    sync_group_permissions()
    user = get_user_model().objects.create_user(
        username=username, email=email or f"{username}@optigem.example", is_staff=True
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user
