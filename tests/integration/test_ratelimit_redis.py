"""The Redis rate limiter against a real Redis: one budget shared by every API process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from trellis.core.config import Settings
from trellis.core.errors import RateLimited
from trellis.core.ratelimit import REDIS_KEY_PREFIX, RedisRateLimiter, enforce_rate_limit
from trellis.main import create_app


@pytest.fixture
def limiters(redis_url: str) -> Iterator[tuple[RedisRateLimiter, RedisRateLimiter]]:
    """Two limiters with their own connections, as two API processes would have."""
    first, second = RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)
    yield first, second
    first.close()
    second.close()


def test_two_processes_share_one_budget(limiters: tuple[RedisRateLimiter, RedisRateLimiter]) -> None:
    first, second = limiters
    assert [first.hit("otp:ip:1.2.3.4", 5, 900).allowed for _ in range(3)] == [True] * 3
    decisions = [second.hit("otp:ip:1.2.3.4", 5, 900) for _ in range(2)]
    assert [d.allowed for d in decisions] == [True, True]
    assert [d.remaining for d in decisions] == [1, 0]
    refused = first.hit("otp:ip:1.2.3.4", 5, 900)
    assert not refused.allowed
    assert 179 < refused.retry_after_seconds <= 180  # one request per 3 minutes refills
    assert not second.hit("otp:ip:1.2.3.4", 5, 900).allowed
    assert first.hit("otp:ip:5.6.7.8", 5, 900).allowed


def test_concurrent_hits_from_both_processes_never_exceed_the_limit(
    limiters: tuple[RedisRateLimiter, RedisRateLimiter],
) -> None:
    allowed: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def hammer(limiter: RedisRateLimiter) -> None:
        barrier.wait()
        results = [limiter.hit("shared", 30, 3600).allowed for _ in range(25)]
        with lock:
            allowed.extend(results)

    threads = [threading.Thread(target=hammer, args=(limiters[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 200
    assert allowed.count(True) == 30


def test_the_budget_refills_with_time(limiters: tuple[RedisRateLimiter, RedisRateLimiter]) -> None:
    limiter = limiters[0]
    assert limiter.hit("refill", 2, 1).allowed
    assert limiter.hit("refill", 2, 1).allowed
    refused = limiter.hit("refill", 2, 1)
    assert not refused.allowed
    assert 0 < refused.retry_after_seconds <= 0.5
    time.sleep(refused.retry_after_seconds + 0.05)
    assert limiter.hit("refill", 2, 1).allowed
    assert not limiter.hit("refill", 2, 1).allowed


def test_keys_are_prefixed_and_expire_once_refilled(
    redis_url: str, limiters: tuple[RedisRateLimiter, RedisRateLimiter]
) -> None:
    limiters[0].hit("user:42", 10, 60)
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.keys("*") == [f"{REDIS_KEY_PREFIX}user:42".encode()]
        # The key lives only until its bucket is full again (one interval here), not forever.
        assert 0 < client.pttl(f"{REDIS_KEY_PREFIX}user:42") <= 6000
    finally:
        client.close()


def test_enforce_raises_429_through_redis(limiters: tuple[RedisRateLimiter, RedisRateLimiter]) -> None:
    first, second = limiters
    enforce_rate_limit(first, "email:a@example.com", "1/minute", name="it.otp")
    with pytest.raises(RateLimited) as raised:
        enforce_rate_limit(second, "email:a@example.com", "1/minute", name="it.otp")
    assert raised.value.retry_after == 60
    assert raised.value.headers == {"Retry-After": "60"}


def test_an_unreachable_redis_fails_open() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{dead_port}/0")
    try:
        assert all(limiter.hit("k", 1, 60).allowed for _ in range(3))
    finally:
        limiter.close()


def test_per_ip_limit_is_shared_by_two_api_processes(distributed_settings: Settings) -> None:
    settings = distributed_settings.model_copy(update={"rate_limit_per_ip": "4/minute"})
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        assert isinstance(first.app.state.runtime.rate_limiter, RedisRateLimiter)  # type: ignore[attr-defined]
        statuses = [client.get("/api/v1/does-not-exist").status_code for client in (first, second) * 2]
        assert statuses == [404] * 4
        refused = second.get("/api/v1/does-not-exist")
        assert refused.status_code == 429
        # 4/minute refills one every 15 s, less whatever the requests took on a loaded machine.
        assert 12 <= int(refused.headers["retry-after"]) <= 15
        assert refused.json()["detail"]["error"] == "rate_limited"
        assert first.get("/api/v1/does-not-exist").status_code == 429
        assert first.get("/ready").status_code == 200  # exempt
