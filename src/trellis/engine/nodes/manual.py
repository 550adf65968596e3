"""Manual trigger: started from the API, the CLI or the UI with the caller's input."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeType, PermanentNodeError


class ManualTriggerConfig(NodeConfig):
    required_fields: list[str] = Field(default_factory=list, description="Input keys the caller must provide.")


def run(context: NodeContext, config: ManualTriggerConfig) -> Any:
    missing = [name for name in config.required_fields if name not in context.trigger]
    if missing:
        raise PermanentNodeError(f"the run input lacks required field(s): {', '.join(missing)}")
    return context.trigger


NODE = NodeType(
    type="manual",
    category="trigger",
    description="Starts the workflow on request; its output is the run's input.",
    config_model=ManualTriggerConfig,
    run=run,
    is_trigger=True,
    min_inputs=0,
)
