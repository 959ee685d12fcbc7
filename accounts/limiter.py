"""Sign-in limits shared by the admin and the CX cloud.

Three counters in the shared cache (so they hold across gunicorn workers with Redis):

* per account and client: a delay that doubles with each failure after a few free ones, so a
  guesser at one account slows down quickly while the owner on another device is not affected;
* per account over all clients: the same growth, but capped at ``ACCOUNT_MAX_DELAY`` seconds,
  so knowing someone's address never locks them out for longer than that;
* per client: a budget of password checks per minute (``SIGNIN_CLIENT_BUDGET_PER_MINUTE``),
  spread evenly: one check per 60/budget seconds, counted before the password is hashed, so
  random addresses cannot burn the CPU, not even in bursts at the start of a minute.

The client is recognised by a keyed hash of its address (key derived from ``SECRET_KEY`` and
rotated every hour), kept only as a cache key that expires within minutes; no address is stored
(policy §1.3). When the cache is unreachable the limiter lets the attempt through and logs it.
"""

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

FREE_FAILURES = 3
MAX_DELAY = 15 * 60
ACCOUNT_MAX_DELAY = 30
FAILURE_MEMORY = 60 * 60


def _slot_seconds() -> float | None:
    """Seconds per password check a client may spend (None: no budget, budget set to 0)."""
    budget = settings.SIGNIN_CLIENT_BUDGET_PER_MINUTE
    return 60 / budget if budget > 0 else None


def client_hash(request) -> str:
    """A keyed, hourly rotating hash of the client's address: never stored, only a cache key."""
    hour = int(time.time() // 3600)
    key = hashlib.sha256(b"optigem.signin-client:" + settings.SECRET_KEY.encode()).digest()
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    return hmac.new(key, f"{hour}:{address}".encode(), hashlib.sha256).hexdigest()[:32]


def _account_hash(account: str) -> str:
    return hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]


def _keys(scope: str, account: str, client: str) -> tuple[str, str]:
    acc = _account_hash(account)
    return f"signin:{scope}:ac:{acc}:{client}", f"signin:{scope}:a:{acc}"


def _delay(failures: int, cap: int) -> int:
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES), cap)


def _remaining(state, cap: int, now: float) -> int:
    if not state:
        return 0
    failures, last = state
    return max(0, int(last + _delay(failures, cap) - now + 0.999))


def wait_seconds(scope: str, *, account: str, request, budget: bool = True) -> int:
    """Seconds before this client may try this account again (0: go ahead).

    With ``budget`` (a password check) it also spends one unit of the client's per-minute budget
    of checks; a second-factor code costs no hashing and passes ``budget=False``. Fails open.
    """
    now = time.time()
    client = client_hash(request)
    pair_key, account_key = _keys(scope, account, client)
    slot = _slot_seconds() if budget else None
    try:
        if slot is not None:
            # Each client's slots start at its own offset, so many clients do not hash in step.
            shifted = now + int(client[:8], 16) % max(1, int(slot))
            if not cache.add(f"signin:budget:{client}:{int(shifted // slot)}", 1, int(slot) + 60):
                return int(slot - shifted % slot) + 1
        states = cache.get_many([pair_key, account_key])
    except Exception:
        logger.warning("sign-in limiter: cache unreachable, attempt let through", exc_info=True)
        return 0
    return max(
        _remaining(states.get(pair_key), MAX_DELAY, now),
        _remaining(states.get(account_key), ACCOUNT_MAX_DELAY, now),
    )


def record_failure(scope: str, *, account: str, request) -> None:
    now = time.time()
    pair_key, account_key = _keys(scope, account, client_hash(request))
    try:
        states = cache.get_many([pair_key, account_key])
        cache.set_many(
            {key: ((states.get(key) or (0, now))[0] + 1, now) for key in (pair_key, account_key)},
            FAILURE_MEMORY,
        )
    except Exception:
        logger.warning("sign-in limiter: cache unreachable, failure not counted", exc_info=True)


def reset(scope: str, *, account: str, request) -> None:
    try:
        cache.delete_many(_keys(scope, account, client_hash(request)))
    except Exception:
        logger.warning("sign-in limiter: cache unreachable, counter not reset", exc_info=True)
