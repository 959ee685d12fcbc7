"""The JSON API for the desktop software: hashed tokens, approved receipts, files, booking."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cloud.models import ApiToken, Role, Status
from cloud.services.api_tokens import api_token_create

from .factories import PDF_BYTES, make_member, make_organisation, make_receipt, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_with_receipts():
    org = make_organisation()
    submitter = make_member(organisation=org)
    now = timezone.now()
    old = make_receipt(
        membership=submitter, status=Status.APPROVED, reviewed_at=now - datetime.timedelta(days=3)
    )
    new = make_receipt(membership=submitter, status=Status.REFUNDED, reviewed_at=now)
    pending = make_receipt(membership=submitter)
    return org, old, new, pending


def _auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_administrators_create_and_revoke_tokens_which_are_stored_hashed(client):
    admin = make_member(organisation=make_organisation(), role=Role.ADMIN)
    sign_in(client, admin.user)
    url = reverse("cloud:tokens", kwargs={"org": admin.organisation.slug})
    response = client.post(url, {"name": "Buchhaltungs-PC"})
    key = response.context["new_key"]
    assert key in response.content.decode()
    token = ApiToken.all_tenants.get()
    assert key not in (token.digest, token.prefix) and len(token.digest) == 64
    assert key not in client.get(url).content.decode()
    api = reverse("cloud:api_receipts")
    assert client.get(api, **_auth(key)).status_code == 200
    client.post(
        reverse("cloud:token_revoke", kwargs={"org": admin.organisation.slug, "pk": token.pk})
    )
    assert client.get(api, **_auth(key)).status_code == 401


def test_a_submitter_or_reviewer_cannot_manage_tokens(client):
    org = make_organisation()
    for role in (Role.SUBMITTER, Role.REVIEWER):
        sign_in(client, make_member(organisation=org, role=role).user)
        assert client.get(reverse("cloud:tokens", kwargs={"org": org.slug})).status_code == 404


def test_the_api_lists_approved_receipts_since_a_time(client, org_with_receipts):
    org, old, new, _pending = org_with_receipts
    _token, key = api_token_create(organisation=org, name="PC")
    url = reverse("cloud:api_receipts")
    everything = client.get(url, **_auth(key)).json()
    assert [r["id"] for r in everything["receipts"]] == [old.pk, new.pk]
    first = everything["receipts"][0]
    assert first["amount"] == "12.50" and first["refund"]["iban"] == "DE89370400440532013000"
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    recent = client.get(url, {"since": since}, **_auth(key)).json()
    assert [r["id"] for r in recent["receipts"]] == [new.pk]
    page = client.get(url, {"limit": 1}, **_auth(key)).json()
    assert page["has_more"] is True and len(page["receipts"]) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"since": "gestern"},
        {"since": "2024-01-01T00:00:00"},
        {"since": "2024-13-45T00:00:00+00:00"},
        {"limit": "x"},
        {"limit": "0"},
        {"offset": str(2**63)},
        {"offset": "-1"},
        {"since": "0001-01-01T00:00:00+14:00"},
        {"since": "9999-12-31T23:59:59-14:00"},
    ],
)
def test_bad_parameters_get_a_clear_400(client, org_with_receipts, params):
    _token, key = api_token_create(organisation=org_with_receipts[0], name="PC")
    response = client.get(reverse("cloud:api_receipts"), params, **_auth(key))
    assert response.status_code == 400
    assert response.json()["error"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer cx_falsch", "Basic abc", "Token x"])
def test_requests_without_a_valid_token_get_401(client, header):
    response = client.get(reverse("cloud:api_receipts"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_download_and_mark_booked(client, org_with_receipts):
    org, old, _new, pending = org_with_receipts
    _token, key = api_token_create(organisation=org, name="PC")
    file_url = reverse("cloud:api_receipt_file", kwargs={"pk": old.pk})
    assert b"".join(client.get(file_url, **_auth(key)).streaming_content) == PDF_BYTES
    not_approved = reverse("cloud:api_receipt_file", kwargs={"pk": pending.pk})
    assert client.get(not_approved, **_auth(key)).status_code == 404
    booked = reverse("cloud:api_receipt_booked", kwargs={"pk": old.pk})
    first = client.post(booked, **_auth(key)).json()["booked_at"]
    assert first is not None
    assert client.post(booked, **_auth(key)).json()["booked_at"] == first
    assert client.get(booked, **_auth(key)).status_code == 405


def test_the_openapi_document_is_the_declared_api_with_every_parameter_bounded(client):
    document = client.get(reverse("cloud:api_openapi")).json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"][0]["url"].endswith("/cx/api/v1")
    assert {path: set(ops) for path, ops in document["paths"].items()} == {
        "/receipts/": {"get"},
        "/receipts/{pk}/file/": {"get"},
        "/receipts/{pk}/booked/": {"post"},
    }
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert operation["security"], path
            for parameter in operation["parameters"]:
                schema = parameter["schema"]
                if schema.get("type") == "integer":
                    assert {"minimum", "maximum"} <= set(schema), (path, parameter["name"])
            for status, response in operation["responses"].items():
                if status != "200":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, status)


def test_a_listed_receipt_has_exactly_the_documented_fields(client, org_with_receipts):
    _token, key = api_token_create(organisation=org_with_receipts[0], name="PC")
    document = client.get(reverse("cloud:api_openapi")).json()
    receipt = client.get(reverse("cloud:api_receipts"), **_auth(key)).json()["receipts"][0]
    declared = document["components"]["schemas"]["ReceiptOut"]
    assert set(receipt) == set(declared["properties"])
    assert set(declared["required"]) <= set(receipt)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/cx/api/v1/receipts/abc/file/"),
        ("post", "/cx/api/v1/receipts/1.5/booked/"),
        ("get", f"/cx/api/v1/receipts/{2**63}/file/"),
        ("get", "/cx/api/v2/"),
        ("post", "/cx/api/v1/receipts/"),
        ("get", "/cx/api/v1/receipts/0/file/"),
        ("delete", "/cx/api/v1/receipts/1/booked/"),
        ("get", "/cx/api/v1/receipts"),
    ],
)
def test_every_api_error_is_json(client, org_with_receipts, method, path):
    _token, key = api_token_create(organisation=org_with_receipts[0], name="PC")
    response = getattr(client, method)(path, **_auth(key))
    assert response.status_code in (404, 405)
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert response.json()["error"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/cx/api/v1/receipts/null,null/booked/", "/cx/api/v1/openapi.json", "/cx/api/x"]
)
def test_a_post_without_csrf_cookie_anywhere_under_the_api_is_answered_in_json(path):
    """The desktop software has no CSRF cookie; a wrong address is a JSON 404/405, not a 403."""
    response = Client(enforce_csrf_checks=True).post(path)
    assert response.status_code in (404, 405)
    assert response.json()["error"]


@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+23:59"])
def test_a_since_with_any_offset_python_reads_is_answered(client, org_with_receipts, offset):
    """PostgreSQL knows only offsets up to 15:59; the time reaches it in UTC."""
    _token, key = api_token_create(organisation=org_with_receipts[0], name="PC")
    response = client.get(
        reverse("cloud:api_receipts"), {"since": f"2020-01-01T00:00:00{offset}"}, **_auth(key)
    )
    assert response.status_code == 200
    assert response.json()["receipts"]
