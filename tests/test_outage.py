"""The site rides out a PostgreSQL restart: 503 with Retry-After inside the window, then 200s.

A real PostgreSQL of the test's own is stopped and started under a running site process.
"""

import contextlib
import http.client
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from conftest import unavailable
from tests.instances import PostgresServer, free_port, wait_for_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def own_postgres(tmp_path):
    if not PostgresServer.available():
        unavailable("needs PostgreSQL binaries under /usr/lib/postgresql/15/bin")
    server = PostgresServer(Path("/tmp") / f"pg-{uuid.uuid4().hex[:8]}")
    server.init()
    server.start()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):
        server.stop("immediate")


@pytest.fixture
def site(own_postgres, tmp_path):
    """The site in its own process (runserver) on the test's PostgreSQL."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "optigem_site.settings.dev",
        "DATABASE_URL": own_postgres.url,
        "DEBUG": "True",  # runserver serves static files without a collectstatic manifest
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "memory://",
        "CACHE_URL": "locmemcache://",
        "HCAPTCHA_SECRET": "",
        "HCAPTCHA_SITEKEY": "",
        "CONTACT_RATE_LIMIT": "1000",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    port = free_port()
    log = (tmp_path / "site.log").open("w")
    process = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    wait_for_port(port, timeout=60)
    yield port
    process.terminate()
    process.wait(timeout=10)
    print((tmp_path / "site.log").read_text())  # shown when the test fails


class Visitor:
    """One browser's cookies against the site."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response, text


def contact_data(visitor: Visitor, text: str) -> dict:
    return {
        "csrfmiddlewaretoken": visitor.cookies["csrftoken"],
        "name": "Erika Mustermann",
        "email": "erika@example.org",
        "message": text,
        "submission_key": str(uuid.uuid4()),
    }


def test_postgres_restart_gives_503_with_the_form_kept_then_recovers(own_postgres, site):
    visitor = Visitor(site)
    response, _ = visitor.request("GET", "/kontakt/")
    assert response.status == 200
    response, _ = visitor.request("POST", "/kontakt/", contact_data(visitor, "Vor dem Neustart."))
    assert response.status == 302

    own_postgres.stop("fast")
    typed = "Meine Frage während des Neustarts"
    response, page = visitor.request("POST", "/kontakt/", contact_data(visitor, typed))
    assert response.status == 503
    assert response.getheader("Retry-After")
    assert "Bitte erneut versuchen" in page
    assert f'value="{typed}"' in page
    assert 'name="email" value="erika@example.org"' in page
    # The retry form posts back to the same form with what was typed.
    assert re.search(r'<form method="post" action="/kontakt/">', page)
    # The desktop software's API answers in JSON, as every error under /cx/api/.
    api = http.client.HTTPConnection("127.0.0.1", site, timeout=30)
    api.request("GET", "/cx/api/v1/receipts/", headers={"Authorization": "Bearer cx_beliebig"})
    answer = api.getresponse()
    assert answer.status == 503 and answer.getheader("Retry-After")
    assert answer.getheader("Content-Type").startswith("application/json")
    assert json.loads(answer.read())["error"]
    api.close()

    own_postgres.start()
    statuses = []
    for i in range(10):
        response, _ = visitor.request("GET", "/kontakt/")
        statuses.append(response.status)
        response, _ = visitor.request(
            "POST", "/kontakt/", contact_data(visitor, f"Nach dem Neustart {i}.")
        )
        statuses.append(response.status)
        time.sleep(0.05)
    assert statuses == [200, 302] * 10
