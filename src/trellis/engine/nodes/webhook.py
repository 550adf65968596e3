"""Webhook trigger: POST /api/v1/hooks/{workflow_id}/{node_id}, signed with the workflow's secret (HMAC-SHA256)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeType


class WebhookTriggerConfig(NodeConfig):
    max_age_seconds: int = Field(
        default=300, ge=10, le=86_400, description="Deliveries signed longer ago than this are refused (replays)."
    )


def run(context: NodeContext, config: WebhookTriggerConfig) -> Any:
    return context.trigger


NODE = NodeType(
    type="webhook",
    category="trigger",
    description="Starts the workflow when a signed HTTP request arrives; output: body, headers, query.",
    config_model=WebhookTriggerConfig,
    run=run,
    is_trigger=True,
    min_inputs=0,
)
