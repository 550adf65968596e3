"""Execution events in seed 004's message format, on topic `executions.<id>`."""

from __future__ import annotations

from typing import Any

import structlog

from trellis.core.db import utcnow

log = structlog.get_logger("trellis.executions")


def execution_topic(execution_id: str) -> str:
    return f"executions.{execution_id}"


def publish(runtime: Any, execution_id: str, message_type: str, **fields: Any) -> None:
    message = {"type": message_type, "execution_id": execution_id, "timestamp": utcnow().isoformat(), **fields}
    try:
        runtime.events.publish(execution_topic(execution_id), message)
    except Exception:
        # Events are best effort; the database rows are the truth and the WebSocket snapshot reads them.
        log.warning("execution_event_publish_failed", execution_id=execution_id, exc_info=True)
