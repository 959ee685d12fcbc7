"""The CX receipt form speaks German to a German user: empty, and with every error shown."""

import pytest
from django.urls import reverse

from cloud.models import Role
from cloud.tests.factories import make_member, make_organisation, make_project, sign_in
from tests.test_admin_german import english_on

pytestmark = pytest.mark.django_db

MORE_ENGLISH = ("This field", "Enter a", "Select a valid", "Choose", "Currently", "Clear")


def _page_text(html: str) -> str:
    return html.split("<main", 1)[-1]


def test_receipt_form_and_its_errors_have_no_english(client):
    member = make_member(organisation=make_organisation(), role=Role.SUBMITTER)
    make_project(organisation=member.organisation)
    sign_in(client, member.user)
    url = reverse("cloud:receipt_new", kwargs={"org": member.organisation.slug})
    empty = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert empty.status_code == 200
    errors = client.post(url, {"amount": "x", "date": "gestern", "refund_method": "bank"})
    assert errors.status_code == 200 and "errorlist" in errors.text
    for page in (empty.text, errors.text):
        main = _page_text(page)
        assert english_on(main) == [], english_on(main)
        assert not [words for words in MORE_ENGLISH if words in main]
