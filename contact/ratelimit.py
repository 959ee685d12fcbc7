"""A per-client limit on the public POSTs, keyed on something that is never stored.

The key is an HMAC of the client address and the current time window under the secret key:
the address itself goes nowhere, and the key is useless after the window (a few minutes),
when the cache entry expires. In production the cache is Redis (CACHE_URL), so all workers
share the counts.
"""

import hashlib
import hmac
import logging
import time
from functools import wraps

import redis
from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render

logger = logging.getLogger(__name__)

# A cache outage must not take the forms down: the limit then lets requests through.
CACHE_FAILURES = (OSError, redis.RedisError)


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


def bucket_key(request, *, now: float | None = None) -> str:
    window = settings.CONTACT_RATE_LIMIT_WINDOW
    bucket = int((now if now is not None else time.time()) // window)
    message = f"{bucket}|{client_address(request)}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]
    return f"contact:rate:{digest}"


def over_limit(request) -> bool:
    """Count this request; True once the client exceeds CONTACT_RATE_LIMIT in the window."""
    cache = caches[settings.CONTACT_RATE_LIMIT_CACHE]
    key = bucket_key(request)
    try:
        cache.add(key, 0, timeout=settings.CONTACT_RATE_LIMIT_WINDOW)
        try:
            count = cache.incr(key)
        except ValueError:  # the entry expired between add() and incr()
            cache.set(key, 1, timeout=settings.CONTACT_RATE_LIMIT_WINDOW)
            count = 1
    except CACHE_FAILURES as exc:
        logger.warning("contact.rate_limit.cache_unavailable: %s", type(exc).__name__)
        return False
    return count > settings.CONTACT_RATE_LIMIT


def rate_limited(view):
    """Answer POSTs beyond the limit with 429 and a German message; GETs are never limited."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and over_limit(request):
            response = render(request, "contact/rate_limited.html", status=429)
            response["Retry-After"] = str(settings.CONTACT_RATE_LIMIT_WINDOW)
            return response
        return view(request, *args, **kwargs)

    return wrapped
