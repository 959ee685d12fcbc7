"""Requests per second of the home page under gunicorn, with and without the consent layer.

    .venv/bin/python bench/pages.py [--requests 400] [--bursts 10] [--concurrency 4] [--workers 2]

"with" is the site as configured: ConsentMiddleware, Django's CSP middleware and the consent
template tags. "without" removes both middlewares and replaces the consent tags with tags that
render nothing, so the same view and template run without any consent work. Both run at once
under gunicorn on a throw-away SQLite database with a published policy, and the bursts of
requests alternate between them, so both see the same load from the rest of the machine. Two
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


CALLS = """
import cProfile, pstats, sys
import django
django.setup()
from django.test import Client
client = Client(headers={"Origin": "http://testserver"})
cookie = client.post("/cookies/", {"action": "all"}).cookies.get("optigem_consent")
client = Client()
def page(returning):
    client.cookies.clear()
    if returning and cookie is not None:
        client.cookies["optigem_consent"] = cookie.value
    assert client.get("/").status_code == 200
for returning in (False, True):
    for _ in range(50):
        page(returning)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(200):
        page(returning)
    profile.disable()
    print(pstats.Stats(profile).total_calls / 200)
"""


def calls_per_request(env: dict) -> tuple[float, float]:
    """Python function calls per home-page request (first visit, returning): a measure of the
    work done that, unlike time, does not change with the machine's other load."""
    env = {**env, "ALLOWED_HOSTS": "testserver"}
    out = subprocess.run(
        [str(PYTHON), "-c", CALLS], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per burst")
    parser.add_argument("--bursts", type=int, default=10)
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

        calls = {
            variant: calls_per_request({**base_env, "DJANGO_SETTINGS_MODULE": f"bench_{variant}"})
            for variant in ("with", "without")
        }
        servers, headers = {}, {}
        try:
            for variant in ("with", "without"):
                port = free_port()
                env = {**base_env, "DJANGO_SETTINGS_MODULE": f"bench_{variant}"}
                config = tmp_path / "gunicorn_bench.py"
                servers[variant] = (port, start_server(env, port, args.workers, config))
            consent = consent_cookie(servers["with"][0])
            headers = {
                ("first visit", "with"): {},
                ("first visit", "without"): {},
                ("returning, statistics allowed", "with"): {"Cookie": consent},
                ("returning, statistics allowed", "without"): {"Cookie": consent},
            }
            for (_, variant), sent in headers.items():  # warm-up
                load(servers[variant][0], args.requests // 5, args.concurrency, sent)
            results = measure(servers, headers, args)
        finally:
            for _, server in servers.values():
                server.terminate()
                server.wait()

    print(
        f"home page, {args.bursts} alternating bursts of {args.requests} requests per variant, "
        f"{args.concurrency} clients, {args.workers} gunicorn workers per server; medians. "
        "req/s follows the machine's other load; the cost is the median of the paired ratios "
        "of gunicorn worker CPU time per request."
    )
    for index, visitor in enumerate(("first visit", "returning, statistics allowed")):
        rows = {variant: results[(visitor, variant)] for variant in ("with", "without")}
        rate = {v: statistics.median(r for r, _ in rows[v]) for v in rows}
        cpu = {v: statistics.median(c for _, c in rows[v]) for v in rows}
        ratios = [w[1] / wo[1] for w, wo in zip(rows["with"], rows["without"], strict=True)]
        cost = (statistics.median(ratios) - 1) * 100
        print(
            f"  {visitor:30} with consent+CSP {rate['with']:7.1f} req/s {cpu['with']:5.2f} ms CPU"
            f" | without {rate['without']:7.1f} req/s {cpu['without']:5.2f} ms CPU"
            f" | cost {cost:+5.1f} %"
        )
        work = (calls["with"][index] / calls["without"][index] - 1) * 100
        print(
            f"  {'':30} Python calls per request: with {calls['with'][index]:7.0f}"
            f" | without {calls['without'][index]:7.0f} | cost {work:+5.1f} %"
        )


def measure(servers: dict, headers: dict, args) -> dict:
    """Bursts alternate between the two servers, so both see the same background load."""
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for burst in range(args.bursts):
        order = ("with", "without") if burst % 2 == 0 else ("without", "with")
        for visitor in ("first visit", "returning, statistics allowed"):
            for variant in order:
                port, server = servers[variant]
                cpu_before = worker_cpu_seconds(server)
                rate = load(port, args.requests, args.concurrency, headers[(visitor, variant)])
                cpu = (worker_cpu_seconds(server) - cpu_before) / args.requests * 1000
                results.setdefault((visitor, variant), []).append((rate, cpu))
        print(f"burst {burst + 1}/{args.bursts} done", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
