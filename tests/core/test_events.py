from __future__ import annotations

import asyncio
import threading

from trellis.core.events import InProcessEventBus, may_subscribe, register_topic_authorizer


def test_events_published_from_other_threads_reach_subscribers_of_that_topic() -> None:
    async def scenario() -> list[dict]:  # type: ignore[type-arg]
        bus = InProcessEventBus()
        watching = await bus.subscribe(["runs.1"])
        other = await bus.subscribe(["runs.2"])
        publishers = [threading.Thread(target=bus.publish, args=("runs.1", {"n": n})) for n in range(5)]
        for thread in publishers:
            thread.start()
        for thread in publishers:
            thread.join()
        received = [await asyncio.wait_for(watching.__anext__(), 2) for _ in range(5)]
        assert other.queue.empty()
        return received

    received = asyncio.run(scenario())
    assert sorted(event["data"]["n"] for event in received) == [0, 1, 2, 3, 4]
    assert {event["topic"] for event in received} == {"runs.1"}
    assert all("published_at" in event for event in received)


def test_a_slow_subscriber_loses_the_oldest_events_not_the_publisher() -> None:
    async def scenario() -> tuple[int, int]:
        bus = InProcessEventBus()
        sub = await bus.subscribe(["t"])
        for n in range(1100):
            bus.publish("t", {"n": n})
        await asyncio.sleep(0.05)
        first = await sub.__anext__()
        return sub.dropped, first["data"]["n"]

    dropped, first = asyncio.run(scenario())
    assert dropped == 100 and first == 100


def test_the_longest_matching_prefix_authorizes_and_unclaimed_topics_are_refused() -> None:
    register_topic_authorizer("demo.", lambda principal, topic: principal == "alice")
    register_topic_authorizer("demo.public.", lambda principal, topic: True)
    assert asyncio.run(may_subscribe("alice", "demo.private.1"))
    assert not asyncio.run(may_subscribe("bob", "demo.private.1"))
    assert asyncio.run(may_subscribe("bob", "demo.public.1"))
    assert not asyncio.run(may_subscribe("alice", "unclaimed.1"))
