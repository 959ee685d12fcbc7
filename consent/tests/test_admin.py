import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from consent.models import ConsentReceipt
from consent.services import consent_give
from privacy.models import AuditAction, AuditEntry
from privacy.roles import sync_group_permissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def dpo_client(client):
    sync_group_permissions()
    user = get_user_model().objects.create_user("dsb", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="Datenschutz"))
    client.force_login(user)
    return client


@pytest.fixture
def support_client(client):
    sync_group_permissions()
    user = get_user_model().objects.create_user("support", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    client.force_login(user)
    return client


def test_datenschutz_looks_up_a_receipt_by_consent_id(dpo_client):
    wanted = consent_give(categories={"statistics"}, action="all", language="de")
    other = consent_give(categories=set(), action="necessary", language="de")
    page = dpo_client.get("/admin/consent/consentreceipt/", {"q": f" {wanted.consent_id} "})
    html = page.content.decode()
    assert page.status_code == 200
    assert str(wanted.consent_id) in html and str(other.consent_id) not in html


def test_a_search_that_is_no_consent_id_finds_nothing(dpo_client):
    consent_give(categories=set(), action="necessary", language="de")
    page = dpo_client.get("/admin/consent/consentreceipt/", {"q": "not-an-id"})
    assert page.status_code == 200
    assert "0 Einwilligungsnachweise" in page.content.decode()


def test_opening_a_receipt_is_audited_and_it_cannot_be_changed(dpo_client):
    receipt = consent_give(categories={"statistics"}, action="all", language="de")
    page = dpo_client.get(f"/admin/consent/consentreceipt/{receipt.pk}/change/")
    assert page.status_code == 200
    entry = AuditEntry.objects.get()
    assert entry.action == AuditAction.VIEW and entry.object_id == str(receipt.pk)
    response = dpo_client.post(
        f"/admin/consent/consentreceipt/{receipt.pk}/change/", {"action": "necessary"}
    )
    assert response.status_code == 403
    assert ConsentReceipt.objects.get().action == "all"
    assert dpo_client.get("/admin/consent/consentreceipt/add/").status_code == 403


def test_other_staff_groups_cannot_read_receipts(support_client):
    consent_give(categories=set(), action="necessary", language="de", consent_id=uuid.uuid4())
    assert support_client.get("/admin/consent/consentreceipt/").status_code == 403
