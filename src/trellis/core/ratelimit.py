"""Rate limits: one `RateLimiter` port with an in-process and a Redis adapter, a per-IP
middleware, and helpers for stricter per-route or per-account limits.

Algorithm: GCRA, the Generic Cell Rate Algorithm (a leaky bucket used as a meter, as in
ATM networks, redis-cell and `throttled`). A rule of N per W seconds allows a burst of N and
then refills one request every W/N seconds. Each key stores a single number, its
"theoretical arrival time" (TAT), so a check is O(1) in time and memory and the Redis
adapter is one short Lua script, atomic and shared by every API process.

    rule "5/15minutes": 5 at once, then one more every 3 minutes.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import secrets
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

import anyio.to_thread
import structlog
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from trellis.core.errors import RateLimited
from trellis.core.observability import RATE_LIMITED

if TYPE_CHECKING:
    from trellis.core.config import Settings
    from trellis.core.runtime import Runtime

__all__ = [
    "InProcessRateLimiter",
    "RateLimitDecision",
    "RateLimitMiddleware",
    "RateLimitRule",
    "RateLimited",
    "RateLimiter",
    "RedisRateLimiter",
    "build_rate_limiter",
    "client_ip",
    "enforce_rate_limit",
    "enforce_rate_limit_async",
    "internal_call_headers",
    "is_internal_call",
    "parse_rate_limit",
    "rate_limit",
]

log = structlog.get_logger("trellis.ratelimit")

REDIS_KEY_PREFIX = "trellis:rl:"
# Float rounding must not refuse a request that is on time; 1 ms early still counts as on time.
_TOLERANCE_SECONDS = 0.001
# Operational endpoints stay reachable for probes and scrapers whatever the load.
EXEMPT_PATHS = frozenset(
    path for base in ("/health", "/live", "/ready", "/metrics") for path in (base, f"/api/v1{base}")
)

# A request this process makes to its own routes (the /mcp endpoint's tool calls) was already counted when it came
# in: it carries this header with a random per-process value, which no outside caller can know, and is not counted
# again (otherwise one tool call would cost several requests of the user's budget and all of them would share the
# in-process client's address).
INTERNAL_CALL_HEADER = "x-trellis-internal-call"
_INTERNAL_CALL_SECRET = secrets.token_urlsafe(32)


def internal_call_headers() -> dict[str, str]:
    return {INTERNAL_CALL_HEADER: _INTERNAL_CALL_SECRET}


def is_internal_call(value: str | None) -> bool:
    return bool(value) and hmac.compare_digest(str(value).encode("latin-1"), _INTERNAL_CALL_SECRET.encode())


# ---------------------------------------------------------------- rules

_UNIT_SECONDS: dict[str, int] = {
    name: seconds
    for names, seconds in (
        (("s", "sec", "secs", "second", "seconds"), 1),
        (("m", "min", "mins", "minute", "minutes"), 60),
        (("h", "hr", "hrs", "hour", "hours"), 3600),
        (("d", "day", "days"), 86400),
    )
    for name in names
}

_RULE = re.compile(r"^(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([A-Za-z]+)$")
_DISABLED = frozenset({"", "0", "off", "none"})


@dataclass(frozen=True)
class RateLimitRule:
    """At most `limit` requests at once, refilling fully over `window_seconds`."""

    limit: int
    window_seconds: float

    def __str__(self) -> str:
        return f"{self.limit}/{self.window_seconds:g}s"


@lru_cache(maxsize=256)
def parse_rate_limit(text: str) -> RateLimitRule | None:
    """`N/second|minute|hour|day`, optionally with a count of units (`5/15minutes`, `100/10s`).

    Returns None for a disabled limit (`0`, empty, `off`); raises ValueError for anything else.
    """
    cleaned = text.strip()
    if cleaned.lower() in _DISABLED:
        return None
    match = _RULE.match(cleaned)
    unit = match.group(3).lower() if match else ""
    if match is None or unit not in _UNIT_SECONDS:
        raise ValueError(
            f"{text!r} is not a rate limit; expected N/<unit> such as 1200/minute or 5/15minutes "
            "(units: second, minute, hour, day), or 0 to disable"
        )
    limit = int(match.group(1))
    window = float(match.group(2) or 1) * _UNIT_SECONDS[unit]
    if limit == 0:
        return None
    if window <= 0:
        raise ValueError(f"{text!r} has an empty window")
    return RateLimitRule(limit, window)


# ---------------------------------------------------------------- limiters


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    remaining: int  # further requests that would be allowed right now
    retry_after_seconds: float  # 0 when allowed


class RateLimiter(Protocol):
    # True when `hit` does network I/O: async callers then run it in a worker thread.
    performs_io: bool

    def hit(self, key: str, limit: int, window_seconds: float) -> RateLimitDecision:
        """Count one request against `key` and say whether it is within `limit` per `window_seconds`."""
        ...

    def close(self) -> None: ...


def _gcra(tat: float, now: float, limit: int, window: float) -> tuple[RateLimitDecision, float | None]:
    """One GCRA step: the decision and the key's new TAT (None when refused: nothing changes)."""
    interval = window / limit
    new_tat = max(tat, now) + interval
    wait = new_tat - window - now
    if wait > _TOLERANCE_SECONDS:
        return RateLimitDecision(False, 0, wait), None
    remaining = math.floor((window - (new_tat - now) + _TOLERANCE_SECONDS) / interval)
    return RateLimitDecision(True, max(0, remaining), 0.0), new_tat


class InProcessRateLimiter:
    """Embedded mode: GCRA state in a dict guarded by a lock (job threads and the loop share it)."""

    performs_io = False

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()
        self._prune_at = 4096

    def hit(self, key: str, limit: int, window_seconds: float) -> RateLimitDecision:
        with self._lock:
            now = self._clock()
            decision, new_tat = _gcra(self._tat.get(key, now), now, limit, window_seconds)
            if new_tat is not None:
                self._tat[key] = new_tat
                if len(self._tat) >= self._prune_at:
                    self._prune(now)
            return decision

    def _prune(self, now: float) -> None:
        # A key whose TAT has passed is indistinguishable from a new one; dropping it bounds memory
        # by the keys active within one window. Doubling the threshold keeps this amortised O(1).
        self._tat = {key: tat for key, tat in self._tat.items() if tat > now}
        self._prune_at = max(4096, 2 * len(self._tat))

    def close(self) -> None:
        with self._lock:
            self._tat.clear()


# KEYS[1]: the key. ARGV[1]: emission interval (ms). ARGV[2]: window (ms). ARGV[3]: tolerance (ms).
# Time comes from Redis itself so every API process measures against one clock.
_GCRA_LUA = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - window - now
if wait > tolerance then
  return {0, 0, tostring(wait)}
end
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.max(1, math.ceil(new_tat - now)))
return {1, math.max(0, math.floor((window - (new_tat - now) + tolerance) / interval)), '0'}
"""


class RedisRateLimiter:
    """Distributed mode: GCRA in one Lua script, so all API processes share each key's budget.

    If Redis cannot be reached the request is allowed (fail open) and a warning is logged at
    most every 10 seconds: a Redis outage must not turn into a full API outage.
    """

    performs_io = True

    def __init__(self, redis_url: str, *, prefix: str = REDIS_KEY_PREFIX) -> None:
        import redis

        self._errors: tuple[type[Exception], ...] = (redis.RedisError,)
        self._client = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._script: Any = self._client.register_script(_GCRA_LUA)
        self._prefix = prefix
        self._last_warning = 0.0

    def hit(self, key: str, limit: int, window_seconds: float) -> RateLimitDecision:
        window_ms = window_seconds * 1000.0
        args = [repr(window_ms / limit), repr(window_ms), repr(_TOLERANCE_SECONDS * 1000.0)]
        try:
            allowed, remaining, wait = self._script(keys=[self._prefix + key], args=args)
        except self._errors as exc:
            now = time.monotonic()
            if now - self._last_warning > 10:
                self._last_warning = now
                log.warning("rate_limiter_unavailable", error=f"{type(exc).__name__}: {exc}")
            return RateLimitDecision(True, limit, 0.0)
        return RateLimitDecision(bool(allowed), int(remaining), float(wait) / 1000.0)

    def close(self) -> None:
        self._client.close()


def build_rate_limiter(settings: Settings) -> RateLimiter:
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url)
    return InProcessRateLimiter()


# ---------------------------------------------------------------- enforcing


def _resolve(target: Runtime | RateLimiter) -> RateLimiter:
    if hasattr(target, "rate_limiter"):
        return target.rate_limiter
    return target


def _as_rule(rule: str | RateLimitRule | None) -> RateLimitRule | None:
    return parse_rate_limit(rule) if isinstance(rule, str) else rule


_UNLIMITED = RateLimitDecision(True, sys.maxsize, 0.0)


def _refuse(name: str, decision: RateLimitDecision) -> RateLimited:
    RATE_LIMITED.labels(name).inc()
    return RateLimited(decision.retry_after_seconds)


def enforce_rate_limit(
    target: Runtime | RateLimiter, key: str, rule: str | RateLimitRule | None, *, name: str | None = None
) -> RateLimitDecision:
    """Count one request for `key` (e.g. `f"email:{email}"`) under `rule`; raise `RateLimited` (429) when over.

    `name` labels the metric and namespaces the key (two limits on one key keep separate budgets);
    it defaults to the rule itself. A disabled rule (None, "0") always allows. Blocking (Redis
    I/O in distributed mode): call it from sync code, or use `enforce_rate_limit_async`.
    """
    parsed = _as_rule(rule)
    if parsed is None:
        return _UNLIMITED
    label = name or str(parsed)
    decision = _resolve(target).hit(f"{label}:{key}", parsed.limit, parsed.window_seconds)
    if not decision.allowed:
        raise _refuse(label, decision)
    return decision


async def enforce_rate_limit_async(
    target: Runtime | RateLimiter, key: str, rule: str | RateLimitRule | None, *, name: str | None = None
) -> RateLimitDecision:
    """`enforce_rate_limit` for async code: Redis calls go to a worker thread, in-process ones do not."""
    if _resolve(target).performs_io:
        return await anyio.to_thread.run_sync(lambda: enforce_rate_limit(target, key, rule, name=name))
    return enforce_rate_limit(target, key, rule, name=name)


def client_ip(scope: Scope) -> str:
    """The peer address (uvicorn has already applied trusted proxy headers to it)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def rate_limit(
    name: str, rule: str, *, key: Literal["ip"] | Callable[[Request], str] = "ip"
) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency: `Depends(rate_limit("auth.request_otp", "5/15minutes", key="ip"))`.

    `key` is "ip" (the client address) or a function of the request returning the subject.
    The rule is parsed here, so a bad one fails at import time rather than on a request.
    """
    parsed = parse_rate_limit(rule)

    async def dependency(request: Request) -> None:
        subject = f"ip:{client_ip(request.scope)}" if key == "ip" else key(request)
        await enforce_rate_limit_async(request.app.state.runtime, subject, parsed, name=name)

    return dependency


class RateLimitMiddleware:
    """Per-client-IP limit on every HTTP request except the health and metrics endpoints.

    Pure ASGI, so a refused request costs one limiter hit and never reaches routing or the database.
    """

    name = "per_ip"

    def __init__(self, app: ASGIApp, rule: str | RateLimitRule | None, limiter: RateLimiter | None = None) -> None:
        self.app = app
        self.rule = _as_rule(rule)
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self.rule is None
            or scope["path"] in EXEMPT_PATHS
            or is_internal_call(Headers(scope=scope).get(INTERNAL_CALL_HEADER))
        ):
            await self.app(scope, receive, send)
            return
        limiter = self.limiter or scope["app"].state.runtime.rate_limiter
        try:
            await enforce_rate_limit_async(limiter, f"ip:{client_ip(scope)}", self.rule, name=self.name)
        except RateLimited as refused:
            await _send_refusal(send, refused)
            return
        await self.app(scope, receive, send)


async def _send_refusal(send: Send, refused: RateLimited) -> None:
    body = json.dumps({"detail": refused.to_detail()}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(refused.retry_after).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
