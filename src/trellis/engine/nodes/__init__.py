"""The node type registry: one module per type, each exporting `NODE`."""

from __future__ import annotations

import importlib

from trellis.engine.nodes.base import NodeType

_MODULES = (
    "manual",
    "webhook",
    "cron",
    "transform",
    "condition",
    "switch",
    "loop",
    "merge",
    "wait",
    "approval",
    "http_request",
    "agent",
    "mcp_tool",
    "subworkflow",
)

NODE_TYPES: dict[str, NodeType] = {}
for _name in _MODULES:
    _node: NodeType = importlib.import_module(f"trellis.engine.nodes.{_name}").NODE
    NODE_TYPES[_node.type] = _node


def get_node_type(type_name: str) -> NodeType | None:
    return NODE_TYPES.get(type_name)
