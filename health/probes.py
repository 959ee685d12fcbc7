"""Readiness probes: the database, the cache and the broker each answer within a second."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.cache import caches
from django.db import connections

TIMEOUT_SECONDS = 1.0


def database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # the probe thread's own connection


def cache() -> None:
    store = caches["default"]
    store.set("health:readyz", "1", timeout=10)
    if store.get("health:readyz") != "1" and not settings.CACHES["default"]["BACKEND"].endswith(
        "DummyCache"
    ):
        raise RuntimeError("cache lost a value")


def broker() -> None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)


PROBES = {"database": database, "cache": cache, "broker": broker}


def readiness() -> dict[str, bool]:
    """Each service's answer (True: answered in time); the probes run side by side."""
    pool = ThreadPoolExecutor(max_workers=len(PROBES), thread_name_prefix="readyz")
    futures = {name: pool.submit(probe) for name, probe in PROBES.items()}
    results = {}
    for name, future in futures.items():
        try:
            future.result(timeout=TIMEOUT_SECONDS)
        except FutureTimeout:
            results[name] = False
        except Exception:  # whatever a service raises, it is not ready
            results[name] = False
        else:
            results[name] = True
    pool.shutdown(wait=False, cancel_futures=True)  # a hung probe must not hold the answer
    return results
