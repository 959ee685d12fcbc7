"""One sending rate for all workers together: a token bucket in Redis, updated by a Lua script.

Celery's own ``rate_limit`` counts per worker process, so two workers would send twice the
agreed rate. Here every worker takes its tokens from one bucket, refilled at
``NEWSLETTER_RATE_PER_SECOND`` with a burst of one second's worth; the script runs atomically
in Redis and uses Redis's clock, so the workers' clocks do not matter.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from django.conf import settings

BUCKET_KEY = "newsletter:send-bucket"

# KEYS[1]: the bucket. ARGV: rate per second, capacity, tokens wanted, and optionally "now" in
# milliseconds (tests pass it; otherwise Redis's TIME). Returns 0 when the tokens were taken,
# else the milliseconds to wait before they will be there.
TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
  ts = now
end
local wait = 0
if tokens >= wanted then
  tokens = tokens - wanted
else
  wait = math.ceil((wanted - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 60000)
return wait
"""


class RateLimiter(Protocol):
    def acquire(self, count: int = 1) -> None: ...


class RedisTokenBucket:
    """The global bucket shared by every worker that reaches the same Redis."""

    def __init__(self, client, *, rate: float, key: str = BUCKET_KEY):
        if rate <= 0:
            raise ValueError("NEWSLETTER_RATE_PER_SECOND must be positive")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.key = key
        self.script = client.register_script(TOKEN_BUCKET_LUA)

    def try_acquire(self, count: int = 1, *, now_ms: int | None = None) -> int:
        """Take ``count`` tokens: 0 on success, else the milliseconds until they are due."""
        args = [self.rate, self.capacity, count] + ([now_ms] if now_ms is not None else [])
        return int(self.script(keys=[self.key], args=args))

    def acquire(self, count: int = 1) -> None:
        while wait_ms := self.try_acquire(count):
            time.sleep(wait_ms / 1000)


class LocalTokenBucket:
    """The same bucket inside one process, for the demo without Redis (one worker only)."""

    def __init__(self, *, rate: float):
        if rate <= 0:
            raise ValueError("NEWSLETTER_RATE_PER_SECOND must be positive")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self, count: int = 1) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= count:
                    self.tokens -= count
                    return
                wait = (count - self.tokens) / self.rate
            time.sleep(wait)


class Prefetched:
    """Takes tokens a few at a time (at most a tenth of a second's worth), so a worker asks
    Redis once per few messages; tokens left over when the worker stops are simply unused."""

    def __init__(self, limiter: RateLimiter, *, rate: float):
        self.limiter = limiter
        self.chunk = max(1, min(10, int(rate // 10)))
        self.left = 0

    def acquire(self, count: int = 1) -> None:
        while self.left < count:
            self.limiter.acquire(self.chunk)
            self.left += self.chunk
        self.left -= count


def rate_limiter() -> RateLimiter:
    """The global Redis bucket when REDIS_URL is set, else a per-process bucket."""
    rate = float(settings.NEWSLETTER_RATE_PER_SECOND)
    bucket: RedisTokenBucket | LocalTokenBucket
    if settings.REDIS_URL:
        import redis

        bucket = RedisTokenBucket(redis.Redis.from_url(settings.REDIS_URL), rate=rate)
    else:
        bucket = LocalTokenBucket(rate=rate)
    return Prefetched(bucket, rate=rate)
