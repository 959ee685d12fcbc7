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


def test_a_cancelled_organisation_shows_no_forms_to_fill_in(client):
    """Read-only means no form at all, rather than a refusal after typing."""
    from django.utils import timezone

    from cloud import services

    admin = make_member(organisation=make_organisation(), role=Role.MAIN_ADMIN)
    org = admin.organisation.slug
    sign_in(client, admin.user)
    services.organisation_cancel(organisation=admin.organisation, now=timezone.now())
    for name in ("receipt_new", "projects", "members", "tokens"):
        page = client.get(reverse(f"cloud:{name}", kwargs={"org": org})).content.decode()
        main = page[page.index("<main") :]
        assert 'method="post"' not in main.split("</nav>", 1)[-1], name
    page = client.get(reverse("cloud:receipt_new", kwargs={"org": org})).content.decode()
    assert "keine Belege mehr eingereicht" in page
