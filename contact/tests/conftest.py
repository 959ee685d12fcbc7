"""Fixtures of the contact tests: a local fake of hCaptcha's siteverify endpoint."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import pytest

from conftest import ThreadedServer


class FakeSiteverify:
    """What the fake endpoint answers depends on the token the form posts:
    ``pass`` → success, ``fail`` → failure, ``slow`` → no answer within the timeout,
    ``error`` → HTTP 500, ``garbage`` → a body that is not JSON, ``list`` → JSON that is not
    an object. Every request's form fields are kept, to check what is sent."""

    def __init__(self):
        self.requests: list[dict[str, list[str]]] = []
        self.release = threading.Event()


def _handler(fake: FakeSiteverify):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            fields = parse_qs(self.rfile.read(length).decode())
            fake.requests.append(fields)
            token = fields.get("response", [""])[0]
            if token == "slow":
                fake.release.wait(5)
                time.sleep(0.05)
            if token == "error":
                return self._answer(500, b"Internal Server Error", "text/plain")
            if token == "garbage":
                return self._answer(200, b"<html>\xff\xfe not json", "text/html")
            if token == "list":
                return self._answer(200, b"[1, 2, 3]", "application/json")
            body = {"success": token == "pass"}
            if token != "pass":
                body["error-codes"] = ["invalid-input-response"]
            return self._answer(200, json.dumps(body).encode(), "application/json")

        def _answer(self, status: int, body: bytes, content_type: str):
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (the timeout case)

    return Handler


@pytest.fixture
def hcaptcha(settings):
    """hCaptcha switched on and pointed at a fake siteverify on 127.0.0.1."""
    fake = FakeSiteverify()
    with ThreadedServer(_handler(fake)) as server:
        settings.HCAPTCHA_SITEKEY = "10000000-ffff-ffff-ffff-000000000001"
        settings.HCAPTCHA_SECRET = "0x-test-secret"
        settings.HCAPTCHA_VERIFY_URL = f"{server.url}/siteverify"
        settings.HCAPTCHA_TIMEOUT = 0.5
        yield fake
        fake.release.set()


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """Each test starts with no form POSTs counted against its client."""
    from django.core.cache import caches

    caches["default"].clear()


@pytest.fixture
def staff_user(db):
    """Make a staff user in a staff group (``staff_user("Support")``)."""
    from django.contrib.auth.models import Group, User

    def make(group: str, username: str = "sam") -> User:
        user = User.objects.create_user(username, f"{username}@optigem.com", "pw", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        return user

    return make
