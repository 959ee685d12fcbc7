"""Fixtures shared by every app's tests: real services, or a clear skip (a failure in CI)."""

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unavailable(reason: str):
    """Skip a test whose real part is missing; in CI (CI=true) that is a failure instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _guarded_mailers(django_test_environment):
    """Keep the mail guard in tests: Django's test setup swaps every mailer for plain locmem."""
    from optigem_site.settings.env import guarded_mailers

    settings.MAILERS = guarded_mailers("memorymail://", timeout=5)


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's language. A request under /en/ leaves English active in
    the thread (LocaleMiddleware does not switch back), which changed the next test's
    ``reverse()`` (to /en/…) and its messages: an order-dependent failure seen before."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _second_factor_on_force_login(monkeypatch):
    """``client.force_login(staff)`` also passes the admin's second factor, as
    ``django_otp.login`` does after a code: the staff member gets a confirmed authenticator and
    the session names it. Tests of the second factor itself sign in through HTTP instead."""
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff:
            from tests.browser.helpers import pass_second_factor

            pass_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def postgres(db):
    """The test runs only against PostgreSQL (DATABASE_URL=postgres://...)."""
    if connection.vendor != "postgresql":
        unavailable("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")
    return connection


@pytest.fixture
def redis_client():
    """A client for the Redis of REDIS_URL, flushed of this test's keys afterwards."""
    url = settings.REDIS_URL
    if not url:
        unavailable("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {url} does not answer: {exc}")
    yield client
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    # Replies given instead of "250 OK" to the next messages, which are then not kept
    # ("451 4.3.0 Bitte später" makes the sender's next hand-off fail as a busy server would).
    refusals: list[str] = field(default_factory=list)
    # Called with each kept message's envelope while the sender waits for the reply.
    on_message: Callable[[Any], None] | None = None

    @property
    def messages(self) -> list[Message]:
        return [message_from_bytes(data) for _sender, _rcpts, data in self.received]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_sink(settings):
    """Route the site's mail through SMTP to a local sink; yields the sink."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if sink.refusals:
                return sink.refusals.pop(0)
            sink.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            if sink.on_message:
                sink.on_message(envelope)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    from optigem_site.settings.env import guarded_mailers

    settings.MAILERS = guarded_mailers(f"smtp://127.0.0.1:{sink.port}", timeout=10)
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium driven by Playwright (Debian's /usr/bin/chromium, never a download)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        unavailable(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in tests are safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ThreadedServer:
    """Run a http.server handler class on 127.0.0.1 in a thread (for local fakes)."""

    def __init__(self, handler_class):
        from http.server import ThreadingHTTPServer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
