"""The Celery worker rides out a Redis restart with acks_late tasks in flight.

Before optigem_site/broker.py the worker stopped with ``Unrecoverable error:
AttributeError("'NoneType' object has no attribute 'hostname'")``.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery

from conftest import unavailable
from tests.instances import RedisServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TASKS = 6


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def lines(path: Path) -> list[int]:
    return sorted(int(line) for line in path.read_text().split()) if path.exists() else []


@pytest.fixture
def redis_server(tmp_path):
    if not RedisServer.available():
        unavailable("needs redis-server")
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def test_worker_survives_a_redis_restart_and_runs_every_task_once(redis_server, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "CI")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "optigem_site.settings.dev",
        "REDIS_URL": redis_server.url,
        "BROKER_TEST_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.broker_app",
                "worker",
                "-c",
                "2",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_until(lambda: "ready." in log_path.read_text(), 60), log_path.read_text()
        producer = Celery(broker=redis_server.url)
        for n in range(TASKS):
            producer.send_task("broker_test.record", args=[n, 3.0])
        producer.close()
        # Both processes busy: with CELERY_WORKER_PREFETCH_MULTIPLIER 1 the consumer has no
        # read outstanding, so Redis stops with four tasks in its queue and two in flight.
        assert wait_until(lambda: log_path.read_text().count("received") >= 2, 30)

        redis_server.stop()
        time.sleep(3)
        redis_server.start()

        assert wait_until(lambda: len(lines(tmp_path / "effects.txt")) >= TASKS, 90), (
            log_path.read_text()
        )
        time.sleep(2)
        assert worker.poll() is None, log_path.read_text()
        assert lines(tmp_path / "effects.txt") == list(range(TASKS))
        assert "Unrecoverable error" not in log_path.read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
