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

    from cloud.services.organisations import organisation_cancel

    admin = make_member(organisation=make_organisation(), role=Role.MAIN_ADMIN)
    org = admin.organisation.slug
    sign_in(client, admin.user)
    organisation_cancel(organisation=admin.organisation, now=timezone.now())
    for name in ("receipt_new", "projects", "members", "tokens"):
        page = client.get(reverse(f"cloud:{name}", kwargs={"org": org})).content.decode()
        main = page[page.index("<main") :]
        assert 'method="post"' not in main.split("</nav>", 1)[-1], name
    page = client.get(reverse("cloud:receipt_new", kwargs={"org": org})).content.decode()
    assert "keine Belege mehr eingereicht" in page


def test_open_invitations_are_resent_and_revoked_and_role_changes_audited(
    client, django_capture_on_commit_callbacks
):
    import datetime
    from urllib.parse import urlsplit

    from django.contrib.contenttypes.models import ContentType
    from django.core import mail
    from django.urls import reverse
    from django.utils import timezone

    from cloud.models import Invitation, Membership, Role
    from cloud.services.invitations import invitation_create
    from privacy.models import AuditAction, AuditEntry

    from .factories import make_member, make_organisation, sign_in

    org = make_organisation()
    main = make_member(organisation=org, role=Role.MAIN_ADMIN)
    sign_in(client, main.user)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            organisation=org, email="neu@example.org", role=Role.SUBMITTER
        )
    Invitation.all_tenants.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    first_link = mail.outbox[0].body
    members = reverse("cloud:members", kwargs={"org": org.slug})
    page = client.get(members).content.decode()
    assert "Erneut senden" in page and "Zurückziehen" in page

    def action(name):
        return reverse(f"cloud:{name}", kwargs={"org": org.slug, "pk": invitation.pk})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action("invitation_resend"), follow=True)
    assert "erneut verschickt" in response.content.decode()
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["neu@example.org"]
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + datetime.timedelta(days=1)

    response = client.post(action("invitation_revoke"), follow=True)
    assert "zurückgezogen" in response.content.decode()
    assert not Invitation.all_tenants.filter(pk=invitation.pk).exists()
    link = next(line for line in first_link.splitlines() if "/cx/einladung/" in line)
    client.logout()
    page = client.get(urlsplit(link.strip()).path, follow=True)
    assert "zurückgezogen" in page.content.decode()

    sign_in(client, main.user)
    other = make_member(organisation=org, role=Role.SUBMITTER)
    url = reverse("cloud:member_role", kwargs={"org": org.slug, "pk": other.pk})
    client.post(url, {"role": Role.REVIEWER})
    assert Membership.all_tenants.get(pk=other.pk).role == Role.REVIEWER
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Membership), object_id=str(other.pk)
    )
    assert (entry.actor, entry.action, entry.fields) == (main.user, AuditAction.CHANGE, ["role"])
    assert entry.note == "submitter -> reviewer"
