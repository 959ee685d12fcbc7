import pytest

from newsletter.ratelimit import LocalTokenBucket, Prefetched, RedisTokenBucket


def test_one_bucket_is_shared_by_every_worker(redis_client):
    key = "newsletter:test-bucket"
    redis_client.delete(key)
    # Two workers, two clients, one bucket: 10 per second with a burst of 10.
    worker_a = RedisTokenBucket(redis_client, rate=10, key=key)
    worker_b = RedisTokenBucket(
        redis_client.__class__(connection_pool=redis_client.connection_pool), rate=10, key=key
    )
    taken = [w.try_acquire(now_ms=1_000_000) for w in (worker_a, worker_b) * 5]
    assert taken == [0] * 10
    assert worker_a.try_acquire(now_ms=1_000_000) == 100  # the 11th waits 100 ms
    assert worker_b.try_acquire(now_ms=1_000_050) == 50
    assert worker_b.try_acquire(now_ms=1_000_100) == 0
    assert worker_a.try_acquire(now_ms=1_000_100) == 100
    # After a long pause the bucket holds one second's worth, not more.
    granted = sum(worker_a.try_acquire(now_ms=2_000_000 + i) == 0 for i in range(15))
    assert granted == 10
    redis_client.delete(key)


def test_rate_must_be_positive(redis_client):
    with pytest.raises(ValueError):
        RedisTokenBucket(redis_client, rate=0)
    with pytest.raises(ValueError):
        LocalTokenBucket(rate=-1)


def test_workers_take_tokens_a_few_at_a_time(redis_client):
    key = "newsletter:test-prefetch"
    redis_client.delete(key)
    purse = Prefetched(RedisTokenBucket(redis_client, rate=100, key=key), rate=100)
    for _ in range(3):
        purse.acquire()
    # One request to Redis took ten tokens (a tenth of a second's worth); three are spent.
    assert float(redis_client.hget(key, "tokens")) == 90
    assert purse.left == 7
    redis_client.delete(key)
