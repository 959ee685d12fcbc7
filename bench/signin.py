"""Benchmark of the sign-in limits: home-page latency while a bounded sign-in flood runs.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/N \
        .venv/bin/python bench/signin.py --seconds 20 --clients 8

Starts gunicorn (settings bench.signin_settings: PBKDF2 as in production, Redis cache) with
two workers, measures the home page quietly from 127.0.0.1, then again while ``--clients``
flooders (each from its own loopback address 127.0.0.2, 127.0.0.3, …, so each is a separate
client to the limiter) post ``--rate`` sign-ins a second each with random addresses to
/cx/anmelden/ for ``--seconds``.
The flood runs twice: with the per-client budget switched off (what the site did before) and
with the default budget. Prints p50/p95 of the home page and what the flood got (password
checked and rejected, or throttled before hashing). Goal: p95 under 3× the quiet value.
"""

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import contact as contact_bench  # noqa: E402  (gunicorn start and free port)
from bench.contact import free_port  # noqa: E402

LOGIN = "/cx/anmelden/"


def start_gunicorn(port: int, env: dict, config: Path) -> subprocess.Popen:
    return contact_bench.start_gunicorn(port, 2, env, config, ready="/")


def home_latencies(port: int, stop: threading.Event | None, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    while len(times) < count or (stop is not None and not stop.is_set()):
        started = time.perf_counter()
        connection.request("GET", "/")
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter() - started)
        if response.status != 200:
            raise SystemExit(f"home page: HTTP {response.status}")
        if stop is None and len(times) >= count:
            break
        time.sleep(0.05)
    return times


def flooder(port, address, deadline, rate, tally, lock):
    connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(address, 0))
    connection.request("GET", LOGIN)
    response = connection.getresponse()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())[1]
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    while time.monotonic() < deadline:
        next_at = time.monotonic() + 1 / rate
        body = urlencode(
            {
                "csrfmiddlewaretoken": token,
                "email": f"{uuid.uuid4().hex[:12]}@example.org",
                "password": "geraten-geraten",
            }
        )
        connection.request("POST", LOGIN, body, headers)
        response = connection.getresponse()
        page = response.read().decode()
        kind = (
            "throttled"
            if "Zu viele Fehlversuche" in page
            else "rejected"
            if "falsch" in page
            else f"HTTP {response.status}"
        )
        with lock:
            tally[kind] = tally.get(kind, 0) + 1
        time.sleep(max(0.0, next_at - time.monotonic()))


def measure(port: int, clients: int, seconds: float, rate: float) -> tuple[list[float], dict]:
    tally: dict = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=flooder, args=(port, f"127.0.0.{n + 2}", deadline, rate, tally, lock)
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    stop = threading.Event()
    result: list[float] = []
    watcher = threading.Thread(target=lambda: result.extend(home_latencies(port, stop, 1)))
    watcher.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    return result, tally


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=5, help="sign-ins per second per client")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://… (the benchmark runs on PostgreSQL)")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("set REDIS_URL=redis://… (the limiter counts in Redis)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.signin_settings"}
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, budget in (("no client budget", "0"), ("default budget", None)):
            run_env = dict(env)
            if budget is not None:
                run_env["SIGNIN_CLIENT_BUDGET_PER_MINUTE"] = budget
            port = free_port()
            server = start_gunicorn(port, run_env, Path(tmp) / "gunicorn.conf.py")
            try:
                home_latencies(port, None, 20)  # warm up
                quiet = home_latencies(port, None, 200)
                flood, tally = measure(port, args.clients, args.seconds, args.rate)
            finally:
                server.terminate()
                server.wait()
            ratio = p(flood, 95) / p(quiet, 95)
            print(
                f"{label}: home quiet p50 {p(quiet, 50):.1f} ms p95 {p(quiet, 95):.1f} ms; "
                f"during flood p50 {p(flood, 50):.1f} ms p95 {p(flood, 95):.1f} ms "
                f"({ratio:.1f}× quiet p95, goal < 3×: {'met' if ratio < 3 else 'missed'}); "
                f"flood of {args.clients} clients × {args.rate:g}/s for {args.seconds:.0f} s: "
                + ", ".join(f"{kind} {n}" for kind, n in sorted(tally.items()))
            )


if __name__ == "__main__":
    sys.exit(main())
