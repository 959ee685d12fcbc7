"""Limit on guessing second-factor codes, counted per account in the cache (so that it holds
across processes with Redis). Only someone who already passed the password step can count
against it. The password step itself is limited by accounts.limiter. When the cache is
unreachable the check lets the attempt through and logs it, rather than failing the request."""

import hashlib
import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _key(scope: str, subject: str) -> str:
    return f"cloud:throttle:{scope}:{hashlib.sha256(subject.encode()).hexdigest()}"


def blocked(scope: str, subject: str) -> bool:
    try:
        return cache.get(_key(scope, subject), 0) >= MAX_FAILURES
    except Exception:
        logger.warning("code throttle: cache unreachable, attempt let through", exc_info=True)
        return False


def record_failure(scope: str, subject: str) -> None:
    key = _key(scope, subject)
    try:
        if cache.add(key, 1, WINDOW_SECONDS):
            return
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, WINDOW_SECONDS)
    except Exception:
        logger.warning("code throttle: cache unreachable, failure not counted", exc_info=True)


def reset(scope: str, subject: str) -> None:
    try:
        cache.delete(_key(scope, subject))
    except Exception:
        logger.warning("code throttle: cache unreachable, counter not reset", exc_info=True)
