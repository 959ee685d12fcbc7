"""Requests per second of the home page under gunicorn, with and without the consent layer,
and of the policy page beside the home page.

    .venv/bin/python bench/pages.py [--requests 300] [--bursts 20] [--concurrency 4] [--workers 2]
        [--policy-bursts 10] [--policy-concurrency 16] [--part consent|policy|both]

Three variants of the site run at once under gunicorn, on a throw-away SQLite database with a
published policy:
- "consent+CSP": the site as configured (ConsentMiddleware, Django's CSP middleware, the
  consent template tags);
- "CSP only": without ConsentMiddleware, with the consent tags replaced by tags that render
  nothing;
- "neither": without both middlewares and with the empty tags.
So the same view and template run in all three. Bursts of requests go to them in a shuffled
order, so all see the same load from the rest of the machine. Two visitors are measured: a
first visit (banner) and a returning visitor who allowed statistics (Matomo snippet, CSP with
the Matomo host). Besides req/s it prints gunicorn worker CPU time and Python function calls
per request; the calls do not vary with the machine's load. The goal is a cost of at most 5 %.

The policy part sends shuffled bursts of / and /datenschutz/ (16 connections) to the site as
configured and to the same site with the policy page's store switched off (its text rendered on
every request, as before privacy.pagecache), for both visitors, and prints the rates and the
policy page's share of the home page's rate. The goal is at least 50 %.
"""

import argparse
import http.client
import os
import random
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

BASE = "from optigem_site.settings.test import *  # noqa\n"
DROP = """MIDDLEWARE = [m for m in MIDDLEWARE if m not in {drop!r}]
TEMPLATES[0]["OPTIONS"]["libraries"] = {{"consent": "bench_noconsent"}}
"""
CONSENT_MW = "consent.middleware.ConsentMiddleware"
CSP_MW = "django.middleware.csp.ContentSecurityPolicyMiddleware"
VARIANTS = {
    "consent+CSP": BASE,
    "CSP only": BASE + DROP.format(drop=(CONSENT_MW,)),
    "neither": BASE + DROP.format(drop=(CONSENT_MW, CSP_MW)),
}
VISITORS = ("first visit", "returning, statistics allowed")
# The site as configured, with the policy page's store of rendered texts switched off.
UNCACHED_WSGI = """from optigem_site.wsgi import application  # noqa: F401
from privacy import pagecache
pagecache.bodies.get = lambda key: None
"""
POLICY_PATHS = ("/", "/datenschutz/")
POLICY_SERVERS = ("policy stored", "policy rendered")
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


def load(port: int, count: int, concurrency: int, headers: dict, path: str = "/") -> float:
    """Requests per second for ``count`` GET ``path`` spread over ``concurrency`` threads."""
    per_thread = count // concurrency
    errors = []

    def work():
        for _ in range(per_thread):
            response, _ = request(port, path=path, headers=headers)
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


def start_server(
    env: dict, port: int, workers: int, config: Path, app: str = "optigem_site.wsgi:application"
) -> subprocess.Popen:
    # An empty config of our own: no access log, the same for every variant.
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "-c",
            str(config),
            app,
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


def module(variant: str) -> str:
    return "bench_" + re.sub(r"\W", "_", variant)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per burst")
    parser.add_argument("--bursts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--policy-bursts", type=int, default=10)
    parser.add_argument("--policy-concurrency", type=int, default=16, help="connections")
    parser.add_argument("--part", choices=("consent", "policy", "both"), default="both")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for variant, text in VARIANTS.items():
            (tmp_path / f"{module(variant)}.py").write_text(text)
        (tmp_path / "bench_noconsent.py").write_text(NO_CONSENT_TAGS)
        (tmp_path / "bench_uncached_wsgi.py").write_text(UNCACHED_WSGI)
        (tmp_path / "gunicorn_bench.py").write_text("")
        base_env = {
            **os.environ,
            "PYTHONPATH": f"{ROOT}:{tmp}",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
            "MATOMO_URL": "https://statistik.example.org/",
            "MATOMO_SITE_ID": "1",
            "DJANGO_SETTINGS_MODULE": module("consent+CSP"),
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
        config = tmp_path / "gunicorn_bench.py"
        if args.part in ("consent", "both"):
            consent_part(base_env, config, args)
        if args.part in ("policy", "both"):
            policy_part(base_env, config, args)


def serve(servers: dict, name: str, env: dict, args, config: Path, app: str | None = None):
    port = free_port()
    extra = {"app": app} if app else {}
    servers[name] = (port, start_server(env, port, args.workers, config, **extra))


def stop(servers: dict) -> None:
    for _, server in servers.values():
        server.terminate()
        server.wait()


def consent_part(base_env: dict, config: Path, args) -> None:
    envs = {v: {**base_env, "DJANGO_SETTINGS_MODULE": module(v)} for v in VARIANTS}
    calls = {variant: calls_per_request(env) for variant, env in envs.items()}
    servers: dict = {}
    try:
        for variant, env in envs.items():
            serve(servers, variant, env, args, config)
        consent = {"Cookie": consent_cookie(servers["consent+CSP"][0])}
        combos = {
            (visitor, variant): (variant, consent if visitor != VISITORS[0] else {}, "/")
            for visitor in VISITORS
            for variant in VARIANTS
        }
        results = measure(servers, combos, args.bursts, args.requests, args.concurrency)
    finally:
        stop(servers)
    report(results, calls, args)


def policy_part(base_env: dict, config: Path, args) -> None:
    """The policy page beside the home page, with and without the store of rendered texts."""
    servers: dict = {}
    try:
        serve(servers, POLICY_SERVERS[0], base_env, args, config)
        serve(servers, POLICY_SERVERS[1], base_env, args, config, "bench_uncached_wsgi:application")
        consent = {"Cookie": consent_cookie(servers[POLICY_SERVERS[0]][0])}
        combos = {
            (visitor, name, path): (name, consent if visitor != VISITORS[0] else {}, path)
            for visitor in VISITORS
            for name in POLICY_SERVERS
            for path in POLICY_PATHS
        }
        results = measure(
            servers, combos, args.policy_bursts, args.requests, args.policy_concurrency
        )
    finally:
        stop(servers)
    print(
        f"policy page beside the home page: {args.policy_bursts} shuffled bursts of "
        f"{args.requests} requests per server, visitor and page, {args.policy_concurrency} "
        f"connections, {args.workers} gunicorn workers per server; medians over the bursts"
    )
    print(
        f"  {'visitor':30} {'server':16} {'/ req/s':>8} {'policy req/s':>13} {'policy/home':>12}"
        f" {'CPU ms/req /':>13} {'policy':>7}"
    )
    for visitor in VISITORS:
        for name in POLICY_SERVERS:
            home, policy = (results[(visitor, name, path)] for path in POLICY_PATHS)
            rate = [statistics.median(r for r, _ in rows) for rows in (home, policy)]
            cpu = [statistics.median(c for _, c in rows) for rows in (home, policy)]
            share = statistics.median(p[0] / h[0] for h, p in zip(home, policy, strict=True))
            print(
                f"  {visitor:30} {name:16} {rate[0]:8.1f} {rate[1]:13.1f} {share * 100:11.1f} %"
                f" {cpu[0]:13.2f} {cpu[1]:7.2f}"
            )
    print("  (policy/home: median of the per-burst ratios; goal for 'policy stored': >= 50 %)")


def report(results: dict, calls: dict, args) -> None:
    print(
        f"home page: {args.bursts} shuffled bursts of {args.requests} requests per variant and "
        f"visitor, {args.concurrency} clients, {args.workers} gunicorn workers per server; "
        "medians over the bursts"
    )
    print(f"  {'visitor':30} {'variant':12} {'req/s':>8} {'CPU ms/req':>11} {'calls/req':>10}")
    for index, visitor in enumerate(VISITORS):
        for variant in VARIANTS:
            rows = results[(visitor, variant)]
            rate = statistics.median(r for r, _ in rows)
            cpu = statistics.median(c for _, c in rows)
            print(
                f"  {visitor:30} {variant:12} {rate:8.1f} {cpu:11.2f} {calls[variant][index]:10.0f}"
            )
    print("  cost (median of paired CPU ratios per burst; ratio of calls):")
    for index, visitor in enumerate(VISITORS):
        for base, label in (("neither", "consent+CSP vs neither"), ("CSP only", "consent alone")):
            with_ = results[(visitor, "consent+CSP")]
            without = results[(visitor, base)]
            ratios = [w[1] / o[1] for w, o in zip(with_, without, strict=True)]
            cpu_cost = (statistics.median(ratios) - 1) * 100
            call_cost = (calls["consent+CSP"][index] / calls[base][index] - 1) * 100
            print(f"  {visitor:30} {label:24} CPU {cpu_cost:+5.1f} %   calls {call_cost:+5.1f} %")


def measure(servers: dict, combos: dict, bursts: int, requests: int, concurrency: int) -> dict:
    """Bursts go to every combination (server, headers, path) in a shuffled order, so every one
    sees the same background load on average. Returns (req/s, worker CPU ms/req) per burst."""
    for server, sent, path in combos.values():  # warm-up
        load(servers[server][0], requests // 5, concurrency, sent, path)
    results: dict[tuple, list[tuple[float, float]]] = {}
    order = list(combos)
    for burst in range(bursts):
        random.Random(burst).shuffle(order)
        for combo in order:
            name, sent, path = combos[combo]
            port, server = servers[name]
            cpu_before = worker_cpu_seconds(server)
            rate = load(port, requests, concurrency, sent, path)
            cpu = (worker_cpu_seconds(server) - cpu_before) / requests * 1000
            results.setdefault(combo, []).append((rate, cpu))
        print(f"burst {burst + 1}/{bursts} done", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
