"""schemathesis against the served OpenAPI document of a live server, with a real token.

Bounded: a fixed number of examples per operation and a hard subprocess timeout, so it fits
``make test``. Fails on any server error, undeclared status or content type, or a response
body the document does not describe.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from cloud.models import Status
from cloud.services.api_tokens import api_token_create
from cloud.services.receipts import receipts_anonymise

from .factories import make_member, make_organisation, make_receipt

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def test_schemathesis_finds_no_server_error_and_no_response_outside_the_schema(
    live_server, tmp_path
):
    org = make_organisation()
    submitter = make_member(organisation=org)
    now = timezone.now()
    for status in (Status.APPROVED, Status.REFUNDED):
        make_receipt(membership=submitter, status=status, reviewed_at=now)
    make_receipt(membership=submitter)
    erased = make_receipt(membership=submitter, status=Status.APPROVED, reviewed_at=now)
    receipts_anonymise(type(erased).all_tenants.filter(pk=erased.pk))
    # Another organisation's receipt: never listed, never found for this token.
    other = make_member(organisation=make_organisation())
    make_receipt(membership=other, status=Status.APPROVED, reviewed_at=now)
    _token, key = api_token_create(organisation=org, name="schemathesis")

    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server.url}/cx/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        CHECKS,
        "--max-examples",
        "60",
        "--workers",
        "1",
        "--seed",
        "14",
        "--generation-database",
        "none",
        "--request-timeout",
        "10",
        "--no-color",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=180, cwd=tmp_path
    )  # its cache lands in tmp_path, not in the checkout
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "Tested: 3" in report, report  # every operation, none skipped
