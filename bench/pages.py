"""Requests per second of the home page under gunicorn, with and without the consent layer.

    .venv/bin/python bench/pages.py [--requests 2000] [--rounds 3] [--concurrency 4] [--workers 2]

"with" is the site as configured: ConsentMiddleware, Django's CSP middleware and the consent
template tags. "without" removes both middlewares and replaces the consent tags with tags that
render nothing, so the same view and template run without any consent work. Each round runs
both variants, alternating, on a throw-away SQLite database with a published policy; two
visitors are measured: a first visit (banner) and a returning visitor who allowed statistics
(Matomo snippet, CSP with the Matomo host). The goal is a cost of at most 5 %.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

WITH = "from optigem_site.settings.test import *  # noqa\n"
WITHOUT = """from optigem_site.settings.test import *  # noqa
MIDDLEWARE = [m for m in MIDDLEWARE if m not in (
    "consent.middleware.ConsentMiddleware", "django.middleware.csp.ContentSecurityPolicyMiddleware")]
TEMPLATES[0]["OPTIONS"]["libraries"] = {"consent": "bench_noconsent"}
"""
NO_CONSENT_TAGS = """from django import template
register = template.Library()
register.simple_tag(lambda: "", name="consent_banner")
register.simple_tag(lambda: "", name="consent_scripts")
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str = "GET", path: str = "/", headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def consent_cookie(port: int) -> str:
    """Decide "Alle akzeptieren" through HTTP, as a visitor would; return the Cookie header."""
    response, _ = request(
        port,
        "POST",
        "/cookies/",
        {
            "Origin": f"http://127.0.0.1:{port}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        "action=all&next=/",
    )
    consent = re.search(r"optigem_consent=([^;]+)", response.getheader("Set-Cookie")).group(1)
    return f"optigem_consent={consent}"


def worker_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by gunicorn's workers, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def load(port: int, count: int, concurrency: int, headers: dict) -> float:
    """Requests per second for ``count`` GET / spread over ``concurrency`` threads."""
    per_thread = count // concurrency
    errors = []

    def work():
        for _ in range(per_thread):
            response, _ = request(port, headers=headers)
            if response.status != 200:
                errors.append(response.status)

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"non-200 answers: {errors[:5]}")
    return per_thread * concurrency / elapsed


def start_server(env: dict, port: int, workers: int, config: Path) -> subprocess.Popen:
    # An empty config of our own: no access log, the same for both variants.
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "-c",
            str(config),
            "optigem_site.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            request(port)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "bench_with.py").write_text(WITH)
        (tmp_path / "bench_without.py").write_text(WITHOUT)
        (tmp_path / "bench_noconsent.py").write_text(NO_CONSENT_TAGS)
        (tmp_path / "gunicorn_bench.py").write_text("")
        base_env = {
            **os.environ,
            "PYTHONPATH": f"{ROOT}:{tmp}",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
            "MATOMO_URL": "https://statistik.example.org/",
            "MATOMO_SITE_ID": "1",
            "DJANGO_SETTINGS_MODULE": "bench_with",
        }
        base_env.pop("REDIS_URL", None)
        for command in (["migrate", "-v", "0"], ["policy_publish", "Benchmark"]):
            subprocess.run(
                [str(PYTHON), "manage.py", *command],
                cwd=ROOT,
                env=base_env,
                check=True,
                stdout=subprocess.DEVNULL,
            )

        results: dict[tuple[str, str], list[float]] = {}
        for round_number in range(args.rounds):
            for variant in ("with", "without"):
                port = free_port()
                env = {**base_env, "DJANGO_SETTINGS_MODULE": f"bench_{variant}"}
                server = start_server(env, port, args.workers, tmp_path / "gunicorn_bench.py")
                try:
                    visitors = {"first visit": {}, "returning, statistics allowed": {}}
                    if variant == "with":
                        visitors["returning, statistics allowed"] = {"Cookie": consent_cookie(port)}
                    else:
                        visitors["returning, statistics allowed"] = {"Cookie": "optigem_consent=x"}
                    for visitor, headers in visitors.items():
                        load(port, args.requests // 10, args.concurrency, headers)  # warm-up
                        cpu_before = worker_cpu_seconds(server)
                        rate = load(port, args.requests, args.concurrency, headers)
                        cpu = (worker_cpu_seconds(server) - cpu_before) / args.requests * 1000
                        results.setdefault((visitor, variant), []).append((rate, cpu))
                finally:
                    server.terminate()
                    server.wait()
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)

    print(
        f"home page, {args.requests} requests x {args.rounds} rounds, {args.concurrency} "
        f"clients, {args.workers} gunicorn workers; medians. req/s depends on the machine's "
        "other load; worker CPU ms per request does not, and is what the cost is computed from."
    )
    for visitor in ("first visit", "returning, statistics allowed"):
        row = {}
        for variant in ("with", "without"):
            rates, cpus = zip(*results[(visitor, variant)], strict=True)
            row[variant] = (statistics.median(rates), statistics.median(cpus))
        cost = (row["with"][1] / row["without"][1] - 1) * 100
        print(
            f"  {visitor:30} with consent+CSP {row['with'][0]:7.1f} req/s "
            f"{row['with'][1]:5.2f} ms CPU | without {row['without'][0]:7.1f} req/s "
            f"{row['without'][1]:5.2f} ms CPU | cost {cost:+5.1f} %"
        )


if __name__ == "__main__":
    main()
