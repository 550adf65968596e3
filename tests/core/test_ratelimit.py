"""Rate limit rules and the in-process GCRA limiter (the Redis one: tests/integration/test_ratelimit_redis.py)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from trellis.core.config import SettingsError, load_settings
from trellis.core.errors import RateLimited
from trellis.core.ratelimit import InProcessRateLimiter, RateLimitRule, enforce_rate_limit, parse_rate_limit


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize(
    ("text", "limit", "window"),
    [
        ("1200/minute", 1200, 60),
        ("5/15minutes", 5, 900),
        ("5 / 15 minutes", 5, 900),
        ("10/second", 10, 1),
        ("100/10s", 100, 10),
        ("3/hour", 3, 3600),
        ("2/HOURS", 2, 3600),
        ("50/day", 50, 86400),
        ("1/0.5s", 1, 0.5),
    ],
)
def test_rules_parse_into_limit_and_window(text: str, limit: int, window: float) -> None:
    assert parse_rate_limit(text) == RateLimitRule(limit, window)


@pytest.mark.parametrize("text", ["0", "", "  ", "off", "0/minute"])
def test_zero_or_empty_disables(text: str) -> None:
    assert parse_rate_limit(text) is None


@pytest.mark.parametrize("text", ["lots", "5/fortnight", "5", "/minute", "-1/minute", "5/0s", "five/minute"])
def test_bad_rules_are_rejected_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"N/<unit>|empty window"):
        parse_rate_limit(text)


def test_bad_rule_setting_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("TRELLIS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRELLIS_RATE_LIMIT_PER_IP", "lots")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("invalid setting TRELLIS_RATE_LIMIT_PER_IP: 'lots' is not a rate limit")
    assert "\n" not in message
    monkeypatch.setenv("TRELLIS_RATE_LIMIT_PER_IP", " 100/10s ")
    assert load_settings().rate_limit_per_ip == "100/10s"
    monkeypatch.delenv("TRELLIS_RATE_LIMIT_PER_IP")
    defaults = load_settings()
    assert defaults.rate_limit_per_ip == "1200/minute"
    assert defaults.idempotency_ttl_seconds == 86400


def test_burst_up_to_the_limit_then_refused_with_the_time_to_wait() -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter(clock)
    decisions = [limiter.hit("otp:ip:1.2.3.4", 5, 900) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True] * 5
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]

    refused = limiter.hit("otp:ip:1.2.3.4", 5, 900)
    assert not refused.allowed
    assert refused.remaining == 0
    # 5 per 15 minutes refills one request every 3 minutes.
    assert refused.retry_after_seconds == pytest.approx(180)

    clock.advance(100)
    again = limiter.hit("otp:ip:1.2.3.4", 5, 900)
    assert not again.allowed
    assert again.retry_after_seconds == pytest.approx(80)


def test_the_window_refills_gradually_and_then_fully() -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter(clock)
    for _ in range(3):
        assert limiter.hit("k", 3, 60).allowed
    assert not limiter.hit("k", 3, 60).allowed

    clock.advance(20)  # one emission interval: exactly one more
    assert limiter.hit("k", 3, 60).allowed
    assert not limiter.hit("k", 3, 60).allowed

    clock.advance(60)  # a whole window later the full burst is back
    assert [limiter.hit("k", 3, 60).allowed for _ in range(4)] == [True, True, True, False]


def test_refusals_do_not_consume_budget() -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter(clock)
    assert limiter.hit("k", 1, 10).allowed
    for _ in range(100):
        assert not limiter.hit("k", 1, 10).allowed
    clock.advance(10)
    assert limiter.hit("k", 1, 10).allowed


def test_keys_have_separate_budgets() -> None:
    limiter = InProcessRateLimiter(FakeClock())
    assert limiter.hit("user:1", 1, 60).allowed
    assert not limiter.hit("user:1", 1, 60).allowed
    assert limiter.hit("user:2", 1, 60).allowed


def test_fractional_intervals_do_not_refuse_on_time_requests() -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter(clock)
    # 7 per 1 s: intervals of 1/7 s accumulate rounding error; the 7th must still pass.
    assert all(limiter.hit("k", 7, 1).allowed for _ in range(7))
    assert not limiter.hit("k", 7, 1).allowed


def test_threads_share_one_budget_exactly() -> None:
    limiter = InProcessRateLimiter()
    allowed: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def hammer() -> None:
        barrier.wait()
        results = [limiter.hit("shared", 100, 3600).allowed for _ in range(20)]
        with lock:
            allowed.extend(results)

    threads = [threading.Thread(target=hammer) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 400
    assert allowed.count(True) == 100


def test_idle_keys_are_forgotten_so_memory_stays_bounded() -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter(clock)
    for n in range(5000):
        limiter.hit(f"ip:{n}", 10, 1)
    clock.advance(2)  # every key has fully refilled: indistinguishable from new
    for n in range(5000):
        limiter.hit(f"other:{n}", 10, 1)
    assert len(limiter._tat) <= 5000 + 4096


def test_enforce_raises_rate_limited_with_whole_seconds_and_headers() -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter(clock)
    first = enforce_rate_limit(limiter, "email:a@example.com", "2/minute", name="auth.otp")
    assert first.allowed and first.remaining == 1
    enforce_rate_limit(limiter, "email:a@example.com", "2/minute", name="auth.otp")
    clock.advance(0.5)
    with pytest.raises(RateLimited) as raised:
        enforce_rate_limit(limiter, "email:a@example.com", "2/minute", name="auth.otp")
    error = raised.value
    assert error.status_code == 429
    assert error.retry_after == 30  # 29.5 s rounded up
    assert error.headers == {"Retry-After": "30"}
    assert error.to_detail() == {
        "error": "rate_limited",
        "message": "Too many requests; retry in 30 seconds.",
        "retry_after": 30,
    }
    # Another limit on the same subject keeps its own budget.
    assert enforce_rate_limit(limiter, "email:a@example.com", "2/minute", name="auth.login").allowed


def test_a_disabled_rule_always_allows() -> None:
    limiter = InProcessRateLimiter(FakeClock())
    assert all(enforce_rate_limit(limiter, "k", "0").allowed for _ in range(100))
    assert all(enforce_rate_limit(limiter, "k", None).allowed for _ in range(100))
