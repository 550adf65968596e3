"""Merge: joins branches; 'wait_all' waits for every input, 'any' continues with each arrival."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeType


class MergeConfig(NodeConfig):
    mode: Literal["wait_all", "any"] = Field(default="wait_all")


def run(context: NodeContext, config: MergeConfig) -> Any:
    # wait_all: the engine hands {predecessor id: output}; any: the output that just arrived.
    return context.input


NODE = NodeType(
    type="merge",
    category="logic",
    description="Joins branches: wait_all gives {node id: output}; any passes each arrival on.",
    config_model=MergeConfig,
    run=run,
    min_inputs=2,
)
