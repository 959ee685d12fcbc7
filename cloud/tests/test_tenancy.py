"""Strict tenant separation: nothing of organisation B exists for anyone of organisation A."""

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone

from cloud.models import ApiToken, Invitation, Membership, Receipt, Role, Status
from cloud.services.api_tokens import api_token_create
from cloud.tenancy import NoTenant, Tenant, tenant_scope
from cloud.urls import urlpatterns

from .factories import make_member, make_organisation, make_project, make_receipt, sign_in

pytestmark = pytest.mark.django_db

# The model whose id each URL with a <pk> takes; a new URL with a <pk> must be added here.
PK_MODELS = {
    "receipt": Receipt,
    "receipt_file": Receipt,
    "receipt_review": Receipt,
    "receipt_refunded": Receipt,
    "member_role": Membership,
    "member_remove": Membership,
    "invitation_revoke": Invitation,
    "invitation_resend": Invitation,
    "token_revoke": ApiToken,
    "api_receipt_file": Receipt,
    "api_receipt_booked": Receipt,
}
POST_DATA = {"decision": "approve", "comment": "ok", "role": Role.SUBMITTER, "confirm": "on"}


def _patterns(*, with_org: bool) -> list[URLPattern]:
    return [p for p in urlpatterns if ("org" in p.pattern.converters) is with_org]


@pytest.fixture
def two_organisations():
    a, b = make_organisation(), make_organisation()
    b_admin = make_member(organisation=b, role=Role.MAIN_ADMIN)
    b_submitter = make_member(organisation=b, role=Role.SUBMITTER)
    b_receipt = make_receipt(membership=b_submitter, project=make_project(organisation=b))
    approved = make_receipt(
        membership=b_submitter, status=Status.APPROVED, reviewed_at=timezone.now()
    )
    b_token, _key = api_token_create(organisation=b, name="B")
    invitation = Invitation.all_tenants.create(
        organisation=b, email="neu@example.org", role=Role.REVIEWER, expires_at=timezone.now()
    )
    return {
        "a": a,
        "b": b,
        Receipt: [b_receipt, approved],
        Membership: [b_admin, b_submitter],
        ApiToken: [b_token],
        Invitation: [invitation],
    }


def test_every_url_with_an_id_is_mapped_to_its_model():
    with_pk = {p.name for p in urlpatterns if "pk" in p.pattern.converters}
    assert with_pk == set(PK_MODELS)


@pytest.mark.parametrize("role", Role.values)
def test_every_page_of_organisation_b_is_404_for_each_role_of_organisation_a(
    client, role, two_organisations
):
    world = two_organisations
    member = make_member(organisation=world["a"], role=role)
    own = make_receipt(membership=member)
    sign_in(client, member.user)
    # The same URLs with organisation A's own ids work, so the 404s below are the separation.
    own_url = reverse("cloud:receipt", kwargs={"org": world["a"].slug, "pk": own.pk})
    assert client.get(own_url).status_code == 200
    before = {
        model: list(model.all_tenants.filter(pk__in=[o.pk for o in objs]).values())
        for model, objs in world.items()
        if model not in ("a", "b")
    }
    checked = 0
    for pattern in _patterns(with_org=True):
        if "pk" in pattern.pattern.converters:
            urls = [
                reverse(f"cloud:{pattern.name}", kwargs={"org": world["a"].slug, "pk": obj.pk})
                for obj in world[PK_MODELS[pattern.name]]
            ]
            urls += [
                reverse(f"cloud:{pattern.name}", kwargs={"org": world["b"].slug, "pk": obj.pk})
                for obj in world[PK_MODELS[pattern.name]]
            ]
        else:
            urls = [reverse(f"cloud:{pattern.name}", kwargs={"org": world["b"].slug})]
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url, POST_DATA).status_code == 404, url
            checked += 1
    assert checked >= len(_patterns(with_org=True))
    after = {
        model: list(model.all_tenants.filter(pk__in=[o.pk for o in objs]).values())
        for model, objs in world.items()
        if model not in ("a", "b")
    }
    assert after == before


def test_every_api_endpoint_is_404_for_a_token_of_organisation_a(client, two_organisations):
    world = two_organisations
    _token, key = api_token_create(organisation=world["a"], name="A")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    api_with_pk = [p for p in _patterns(with_org=False) if "pk" in p.pattern.converters]
    assert {p.name for p in api_with_pk} == {"api_receipt_file", "api_receipt_booked"}
    for pattern in api_with_pk:
        for receipt in world[Receipt]:
            url = reverse(f"cloud:{pattern.name}", kwargs={"pk": receipt.pk})
            method = client.post if pattern.name.endswith("booked") else client.get
            response = method(url, **auth)
            assert response.status_code == 404, url
            assert response.json()["error"]
    listing = client.get(reverse("cloud:api_receipts"), **auth).json()
    assert listing["receipts"] == []
    assert Receipt.all_tenants.filter(booked_at__isnull=False).count() == 0


def test_queries_outside_a_tenant_scope_fail_loudly():
    with pytest.raises(NoTenant):
        list(Receipt.objects.all())


def test_submitter_sees_only_own_receipts_and_reviewer_sees_all():
    org = make_organisation()
    alice = make_member(organisation=org)
    bob = make_member(organisation=org)
    reviewer = make_member(organisation=org, role=Role.REVIEWER)
    own, other = make_receipt(membership=alice), make_receipt(membership=bob)
    with tenant_scope(Tenant(organisation=org, membership=alice)):
        assert list(Receipt.objects.all()) == [own]
    with tenant_scope(Tenant(organisation=org, membership=reviewer)):
        assert set(Receipt.objects.all()) == {own, other}


def test_submitter_gets_404_for_a_colleagues_receipt_and_file(client):
    org = make_organisation()
    alice, bob = make_member(organisation=org), make_member(organisation=org)
    other = make_receipt(membership=bob)
    sign_in(client, alice.user)
    for name in ("receipt", "receipt_file"):
        url = reverse(f"cloud:{name}", kwargs={"org": org.slug, "pk": other.pk})
        assert client.get(url).status_code == 404


def test_a_non_member_is_sent_to_sign_in_then_gets_404(client):
    org = make_organisation()
    url = reverse("cloud:receipts", kwargs={"org": org.slug})
    assert client.get(url)["Location"].startswith(reverse("cloud:login"))
    outsider = make_member(organisation=make_organisation())
    sign_in(client, outsider.user)
    assert client.get(url).status_code == 404
