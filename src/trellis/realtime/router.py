"""`/api/v1/ws`: one WebSocket per client, subscribing to the event topics it may see.

Sign in with `?access_token=<access or API token>` on the URL, or with the first message
`{"action": "auth", "token": "<token>"}` (within 10 seconds). Unauthenticated sockets are
closed with code 4401.

Protocol (JSON text frames):
    client -> {"action": "auth", "token": "..."}      server -> {"type": "authenticated", "user_id": "..."}
    client -> {"action": "subscribe", "topics": ["jobs.<id>", ...]}
    client -> {"action": "unsubscribe", "topics": [...]}
    client -> {"action": "ping"}
    server -> {"type": "subscribed", "topics": [...]} / {"type": "unsubscribed", "topics": [...]}
    server -> {"type": "event", "topic": "...", "data": {...}, "published_at": "..."}
    server -> {"type": "error", "error": "<code>", "message": "...", "topic": "..."}
    server -> {"type": "pong"}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from trellis.auth.dependencies import authenticate_websocket
from trellis.core.events import Subscription, may_subscribe

router = APIRouter(tags=["realtime"])

MAX_TOPICS_PER_CONNECTION = 200
MAX_MESSAGE_BYTES = 64 * 1024


AUTH_TIMEOUT_SECONDS = 10
UNAUTHENTICATED_CLOSE_CODE = 4401


async def sign_in_websocket(websocket: WebSocket) -> Any:
    """The socket's principal from the query token or the first message; None closes the socket."""
    query_token = websocket.query_params.get("access_token")
    if query_token:
        return await authenticate_websocket(websocket, query_token)
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_SECONDS)
        message = json.loads(raw)
    except (TimeoutError, json.JSONDecodeError, WebSocketDisconnect):
        return None
    if not isinstance(message, dict) or message.get("action") != "auth" or not isinstance(message.get("token"), str):
        return None
    return await authenticate_websocket(websocket, message["token"])


@router.websocket("/ws")
async def event_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    principal = await sign_in_websocket(websocket)
    if principal is None:
        await websocket.send_json(
            _error(
                "not_authenticated",
                'Send a valid token: ?access_token=... or {"action": "auth", "token": "..."} as the first message.',
            )
        )
        await websocket.close(code=UNAUTHENTICATED_CLOSE_CODE)
        return
    await websocket.send_json({"type": "authenticated", "user_id": str(principal.user_id)})
    bus = websocket.app.state.runtime.events
    subscription: Subscription = await bus.subscribe()
    forward = asyncio.create_task(_forward_events(websocket, subscription))
    try:
        while True:
            raw = await websocket.receive_text()
            reply = await _handle_client_message(raw, principal, subscription)
            for message in reply:
                await websocket.send_json(message)
    except WebSocketDisconnect:
        pass
    finally:
        bus.unsubscribe(subscription)
        forward.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await forward


async def _forward_events(websocket: WebSocket, subscription: Subscription) -> None:
    async for event in subscription:
        await websocket.send_json({"type": "event", **event})


def _error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "error": code, "message": message, **extra}


async def _handle_client_message(raw: str, principal: Any, subscription: Subscription) -> list[dict[str, Any]]:
    if len(raw) > MAX_MESSAGE_BYTES:
        return [_error("message_too_large", f"Messages are limited to {MAX_MESSAGE_BYTES} bytes.")]
    try:
        message = json.loads(raw)
    except json.JSONDecodeError:
        return [_error("malformed_json", "Each message must be a JSON object.")]
    if not isinstance(message, dict):
        return [_error("malformed_json", "Each message must be a JSON object.")]
    action = message.get("action")
    if action == "ping":
        return [{"type": "pong"}]
    topics = message.get("topics")
    if (
        action not in ("subscribe", "unsubscribe")
        or not isinstance(topics, list)
        or not all(isinstance(topic, str) and 0 < len(topic) <= 300 for topic in topics)
    ):
        return [
            _error(
                "invalid_message",
                'Send {"action": "subscribe" | "unsubscribe", "topics": ["<topic>", ...]} or {"action": "ping"}.',
            )
        ]
    if action == "unsubscribe":
        subscription.topics.difference_update(topics)
        return [{"type": "unsubscribed", "topics": topics}]
    replies: list[dict[str, Any]] = []
    granted = []
    for topic in topics:
        if len(subscription.topics) >= MAX_TOPICS_PER_CONNECTION:
            replies.append(_error("too_many_topics", f"At most {MAX_TOPICS_PER_CONNECTION} topics per connection."))
            break
        if await may_subscribe(principal, topic):
            subscription.topics.add(topic)
            granted.append(topic)
        else:
            replies.append(_error("forbidden_topic", f"You may not subscribe to {topic!r}.", topic=topic))
    return [{"type": "subscribed", "topics": granted}, *replies]
