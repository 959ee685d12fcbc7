"""Limits on guessing passwords and codes, counted per account (never per IP address, which
the site does not store) in the cache, so that they hold across processes with Redis."""

import hashlib

from django.core.cache import cache

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _key(scope: str, subject: str) -> str:
    return f"cloud:throttle:{scope}:{hashlib.sha256(subject.encode()).hexdigest()}"


def blocked(scope: str, subject: str) -> bool:
    return cache.get(_key(scope, subject), 0) >= MAX_FAILURES


def record_failure(scope: str, subject: str) -> None:
    key = _key(scope, subject)
    if cache.add(key, 1, WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, WINDOW_SECONDS)


def reset(scope: str, subject: str) -> None:
    cache.delete(_key(scope, subject))
