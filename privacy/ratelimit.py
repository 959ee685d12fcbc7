"""The per-client limit on the public forms, keyed on something that is never stored.

One implementation for every app that takes public POSTs (contact forms, newsletter sign-up).
The key is an HMAC of the client address, the form's scope and the current time window under
the secret key: the address itself goes nowhere, and the key is useless after the window,
when the cache entry expires. In production the cache is Redis (CACHE_URL), so all workers
share the counts. A cache outage lets requests through with a log line: the limit must not
take the forms down.
"""

import hashlib
import hmac
import logging
import time

import redis
from django.conf import settings
from django.core.cache import caches
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

CACHE_FAILURES = (OSError, redis.RedisError)

TOO_MANY_MESSAGE = _(
    "Zu viele Anfragen: Von Ihrem Anschluss sind in kurzer Zeit sehr viele Formulare bei uns "
    "eingegangen. Bitte warten Sie ein paar Minuten und senden Sie das Formular dann noch "
    "einmal ab; Ihre Eingaben bleiben hier stehen."
)


def client_address(request) -> str:
    """The client's address; behind CONTACT_PROXY_HOPS proxies, from X-Forwarded-For."""
    hops = settings.CONTACT_PROXY_HOPS
    if hops:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        if len(forwarded) >= hops and forwarded[-hops]:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def bucket_key(request, *, scope: str, window: int, now: float | None = None) -> str:
    bucket = int((now if now is not None else time.time()) // window)
    message = f"{scope}|{bucket}|{client_address(request)}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]
    return f"rate:{scope}:{digest}"


def client_over_limit(request, *, scope: str, limit: int, window: int, cache_alias: str) -> bool:
    """Count this request; True once the client has made more than ``limit`` in the window."""
    cache = caches[cache_alias]
    key = bucket_key(request, scope=scope, window=window)
    try:
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # the entry expired between add() and incr()
            cache.set(key, 1, timeout=window)
            count = 1
    except CACHE_FAILURES as exc:
        logger.warning("%s.rate_limit.cache_unavailable: %s", scope, type(exc).__name__)
        return False
    return count > limit
