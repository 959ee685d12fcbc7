"""Benchmark of the contact form: submissions per second through the full stack.

Starts a fake hCaptcha siteverify on 127.0.0.1 and gunicorn (settings bench.contact_settings,
PostgreSQL from DATABASE_URL), then POSTs the contact form (CSRF, hCaptcha verify, form
validation, rate limit, INSERT, hand-off of the mail task) and, as the baseline, a plain view
that verifies the same fake token and inserts one row. Prints both rates, their ratio (goal:
at least 70 %) and the SQL statements of one submission (goal: at most 4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_contact \
        nice -n 10 .venv/bin/python bench/contact.py --requests 400 --concurrency 4 --workers 2
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "bench.contact_settings"
BENCH_DOMAIN = "bench.invalid"


class Siteverify(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"success": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    port: int, workers: int, env: dict, config: Path, *, ready: str = "/kontakt/"
) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:``port``, returned once ``ready`` answers 200 (30 s at most)."""
    # An empty config instead of gunicorn.conf.py: no access log to write for every request.
    config.write_text("")
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            f"--config={config}",
            "optigem_site.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", ready)
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def form_session(port: int) -> tuple[str, str]:
    """A CSRF cookie and token, as a browser would have them after loading the form."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/kontakt/")
    response = connection.getresponse()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())[1]
    return cookie, token


def run(port: int, path: str, expected: int, total: int, concurrency: int) -> float:
    """POST ``total`` submissions with ``concurrency`` keep-alive clients; returns per second."""
    cookie, token = form_session(port)
    per_client = total // concurrency
    errors: list[str] = []

    def client(n: int):
        connection = http.client.HTTPConnection("127.0.0.1", port)
        for i in range(per_client):
            body = urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "name": f"Bench {n}-{i}",
                    "email": f"b{n}-{i}@{BENCH_DOMAIN}",
                    "message": "Eine Frage aus dem Benchmark.",
                    "submission_key": str(uuid.uuid4()),
                    "h-captcha-response": "bench-token",
                }
            )
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            response.read()
            if response.status != expected:
                errors.append(f"{path}: HTTP {response.status}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    return per_client * concurrency / elapsed


def statements_per_submission() -> list[str]:
    """The SQL statements of one contact-form submission, measured in this process."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get("/kontakt/")
    data = {
        "name": "Bench",
        "email": f"q@{BENCH_DOMAIN}",
        "message": "Eine Frage.",
        "submission_key": str(uuid.uuid4()),
        "h-captcha-response": "bench-token",
    }
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/kontakt/", data)
    assert response.status_code == 302, response.status_code
    return [query["sql"].split()[0] for query in captured.captured_queries]


def clean_up() -> int:
    from contact.models import Inquiry

    deleted, _ = Inquiry.objects.filter(email__endswith=f"@{BENCH_DOMAIN}").delete()
    return deleted


def _rates(rates: list[float]) -> str:
    return "(" + ", ".join(f"{rate:.1f}" for rate in rates) + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="submissions per run")
    parser.add_argument("--concurrency", type=int, default=8, help="parallel clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://… (the benchmark runs on PostgreSQL)")

    verify = ThreadingHTTPServer(("127.0.0.1", 0), Siteverify)
    threading.Thread(target=verify.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "PYTHONPATH": str(ROOT),
        "HCAPTCHA_SITEKEY": "10000000-ffff-ffff-ffff-000000000001",
        "HCAPTCHA_SECRET": "0x-bench-secret",
        "HCAPTCHA_VERIFY_URL": f"http://127.0.0.1:{verify.server_port}/siteverify",
    }
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    sys.path.insert(0, str(ROOT))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )

    port = free_port()
    workdir = tempfile.TemporaryDirectory()
    server = start_gunicorn(port, args.workers, env, Path(workdir.name) / "gunicorn_bench.py")
    try:
        for path, status in (("/kontakt/", 302), ("/bench/plain/", 201)):  # warm-up
            run(port, path, status, args.concurrency * 10, args.concurrency)
        full_rates, plain_rates = [], []
        for _round in range(args.rounds):  # alternating, so load on the machine hits both
            full_rates.append(run(port, "/kontakt/", 302, args.requests, args.concurrency))
            plain_rates.append(run(port, "/bench/plain/", 201, args.requests, args.concurrency))
        full, plain = statistics.median(full_rates), statistics.median(plain_rates)
        statements = statements_per_submission()
    finally:
        server.terminate()
        server.wait()
        verify.shutdown()
        workdir.cleanup()
    data_queries = [s for s in statements if s not in {"BEGIN", "COMMIT"}]
    print(
        f"requests per run: {args.requests}, concurrency: {args.concurrency}, "
        f"gunicorn workers: {args.workers}"
    )
    print(f"rounds: {args.rounds} (median of each)")
    print(f"contact form (full stack): {full:8.1f} submissions/s  {_rates(full_rates)}")
    print(f"plain view (verify+insert): {plain:8.1f} submissions/s  {_rates(plain_rates)}")
    print(f"ratio: {full / plain:.0%} (goal: at least 70 %)")
    print(
        f"SQL statements per submission: {len(statements)} ({' '.join(statements)}); "
        f"queries without transaction control: {len(data_queries)} (goal: at most 4)"
    )
    print(f"rows removed after the run: {clean_up()}")


if __name__ == "__main__":
    main()
