"""Publish/subscribe by topic: in-process (embedded) or over Redis pub/sub (distributed).

`publish` is synchronous and safe from any thread (job workers publish from their own
threads); subscriptions are asyncio iterators used by WebSocket handlers. Topics are dotted
names, `<domain>.<id>` (e.g. `jobs.4f0c…`); each domain says who may see its topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from trellis.core.db import utcnow

log = structlog.get_logger("trellis.events")

REDIS_CHANNEL_PREFIX = "trellis:events:"
_QUEUE_LIMIT = 1000


def make_event(topic: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"topic": topic, "data": data, "published_at": utcnow().isoformat()}


@dataclass(eq=False)
class Subscription:
    """One subscriber's topics and mailbox. Iterate it for events; slow readers lose the oldest."""

    loop: asyncio.AbstractEventLoop
    topics: set[str] = field(default_factory=set)
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(_QUEUE_LIMIT))
    dropped: int = 0

    def _offer(self, event: dict[str, Any]) -> None:
        # Runs on the subscriber's loop.
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self

    async def __anext__(self) -> dict[str, Any]:
        return await self.queue.get()


class _Fanout:
    """Delivers an event to the local subscriptions of its topic, from any thread."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.add(subscription)

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def deliver(self, event: dict[str, Any]) -> int:
        topic = event["topic"]
        with self._lock:
            targets = [s for s in self._subscriptions if topic in s.topics]
        for subscription in targets:
            try:
                subscription.loop.call_soon_threadsafe(subscription._offer, event)
            except RuntimeError:  # the subscriber's loop has closed
                self.remove(subscription)
        return len(targets)


class EventBus(Protocol):
    def publish(self, topic: str, data: dict[str, Any]) -> None: ...

    async def subscribe(self, topics: Iterable[str] = ()) -> Subscription: ...

    def unsubscribe(self, subscription: Subscription) -> None: ...

    def ping(self) -> None: ...

    async def aclose(self) -> None: ...

    def close(self) -> None: ...


class InProcessEventBus:
    def __init__(self) -> None:
        self._fanout = _Fanout()

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self._fanout.deliver(make_event(topic, data))

    async def subscribe(self, topics: Iterable[str] = ()) -> Subscription:
        subscription = Subscription(loop=asyncio.get_running_loop(), topics=set(topics))
        self._fanout.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._fanout.remove(subscription)

    def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def close(self) -> None:
        return None


class RedisEventBus:
    """Redis pub/sub between processes, local fan-out within one.

    Each process holds one pattern subscription (`trellis:events:*`) while it has
    subscribers and filters locally, so a subscriber never waits for a Redis round trip.
    """

    def __init__(self, redis_url: str) -> None:
        import redis
        import redis.asyncio as aioredis

        self._url = redis_url
        self._sync = redis.Redis.from_url(redis_url, socket_timeout=3, socket_connect_timeout=3)
        self._aioredis = aioredis
        self._fanout = _Fanout()
        self._reader: asyncio.Task[None] | None = None
        self._reader_lock = asyncio.Lock()

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self._sync.publish(REDIS_CHANNEL_PREFIX + topic, json.dumps(make_event(topic, data)))

    async def subscribe(self, topics: Iterable[str] = ()) -> Subscription:
        await self._ensure_reader()
        subscription = Subscription(loop=asyncio.get_running_loop(), topics=set(topics))
        self._fanout.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._fanout.remove(subscription)

    def ping(self) -> None:
        self._sync.ping()

    async def _ensure_reader(self) -> None:
        async with self._reader_lock:
            if self._reader is None or self._reader.done():
                ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._reader = asyncio.create_task(self._read_forever(ready), name="trellis-events-redis")
                await ready

    async def _read_forever(self, ready: asyncio.Future[None]) -> None:
        while True:
            client = self._aioredis.Redis.from_url(self._url, socket_connect_timeout=3)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(REDIS_CHANNEL_PREFIX + "*")
                if not ready.done():
                    ready.set_result(None)
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        self._fanout.deliver(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not ready.done():
                    ready.set_exception(exc)
                    return
                log.warning("event_subscription_lost", error=type(exc).__name__)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]  # typed in newer redis
                    await client.aclose()

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None

    def close(self) -> None:
        self._sync.close()


# ---------------------------------------------------------------- who may subscribe to what

TopicAuthorizer = Callable[[Any, str], bool | Awaitable[bool]]
_authorizers: dict[str, TopicAuthorizer] = {}


def register_topic_authorizer(prefix: str, authorizer: TopicAuthorizer) -> None:
    """Declare who may subscribe to topics starting with `prefix` (e.g. "jobs.").

    `authorizer(principal, topic)` gets the caller the WebSocket authenticated (None when
    anonymous) and returns whether it may see the topic.
    """
    _authorizers[prefix] = authorizer


async def may_subscribe(principal: Any, topic: str) -> bool:
    """Longest matching prefix decides; a topic no domain claimed is refused."""
    matches = [prefix for prefix in _authorizers if topic.startswith(prefix)]
    if not matches:
        return False
    verdict = _authorizers[max(matches, key=len)](principal, topic)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    return bool(verdict)
