"""Transform: build a new value from the run's data with Jinja2 templates (sandboxed)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeType


class TransformConfig(NodeConfig):
    output: Any = Field(
        description="Any JSON value; strings are templates over input, nodes, trigger, execution. "
        "A string that is one '{{ expression }}' keeps the expression's type."
    )


def run(context: NodeContext, config: TransformConfig) -> Any:
    return context.render(config.output)


NODE = NodeType(
    type="transform",
    category="logic",
    description="Computes a value from templates over the run's data.",
    config_model=TransformConfig,
    run=run,
)
