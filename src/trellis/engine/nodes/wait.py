"""Wait: pauses the run for a duration. Long waits free the worker and resume from a scheduled job."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from langgraph.types import interrupt
from pydantic import Field

from trellis.core.db import utcnow
from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeType

# Shorter waits sleep in place: cheaper than a checkpoint, a job and a resume.
INLINE_WAIT_SECONDS = 2.0


class WaitConfig(NodeConfig):
    seconds: float = Field(ge=0, le=30 * 86_400)


def run(context: NodeContext, config: WaitConfig) -> Any:
    if config.seconds <= INLINE_WAIT_SECONDS:
        time.sleep(config.seconds)
        return context.input
    resume_at = utcnow() + timedelta(seconds=config.seconds)
    interrupt({"kind": "timer", "node_id": context.node_id, "resume_at": resume_at.isoformat()})
    return context.input


NODE = NodeType(
    type="wait",
    category="logic",
    description="Waits, then passes its input on.",
    config_model=WaitConfig,
    run=run,
)
