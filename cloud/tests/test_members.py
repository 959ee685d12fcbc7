"""Members and invitations as the organisation's administrators see them."""

import pytest
from django.urls import reverse

from cloud.models import Role

from .factories import make_member, make_organisation, sign_in

pytestmark = pytest.mark.django_db


def test_the_invitation_form_offers_the_least_privileged_role_first(client):
    admin = make_member(organisation=make_organisation(), role=Role.MAIN_ADMIN)
    sign_in(client, admin.user)
    response = client.get(reverse("cloud:members", kwargs={"org": admin.organisation.slug}))
    assert response.context["form"]["role"].value() == Role.SUBMITTER
    assert f'<option value="{Role.SUBMITTER}" selected>' in response.content.decode()
