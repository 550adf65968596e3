"""When to retry a provider call and how long to wait. Pure: the clock and randomness are passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# 408 request timeout, 409 (OpenAI: "try again"), 425 too early, 429 rate limited, 5xx server side;
# 529 is Anthropic's "overloaded".
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` counts the first try. Waits double from `backoff_seconds` up to `backoff_max_seconds`.

    A `Retry-After` longer than `retry_after_max_seconds` is not slept through: the call
    fails at once as transient, and the caller (the engine's node retry policy) decides.
    """

    max_attempts: int = 3
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    retry_after_max_seconds: float = 60.0


def is_transient_status(status: int) -> bool:
    return status in TRANSIENT_STATUSES or status >= 500


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date (RFC 9110 10.2.3).

    None when absent or unparseable; never negative.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, policy: RetryPolicy, *, random_fraction: float) -> float:
    """Wait before retry number `attempt` (1 = first retry): exponential with "equal jitter".

    Half the exponential step is fixed and half random, so clients that failed together
    spread out but none retries immediately.
    """
    step = min(policy.backoff_max_seconds, policy.backoff_seconds * 2.0 ** (attempt - 1))
    return step / 2 + step / 2 * random_fraction


def retry_delay(
    attempt: int, policy: RetryPolicy, *, retry_after: float | None, random_fraction: float
) -> float | None:
    """Seconds to wait before retry `attempt`, or None to give up now.

    The server's `Retry-After` wins over our own backoff (never shorter than it asked).
    """
    if attempt >= policy.max_attempts:
        return None
    if retry_after is not None:
        if retry_after > policy.retry_after_max_seconds:
            return None
        return retry_after
    return backoff_delay(attempt, policy, random_fraction=random_fraction)
