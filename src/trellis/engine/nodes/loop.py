"""Loop over items: each item goes down the 'body' branch, whose last node connects back here;
when the items are exhausted the collected body results leave through 'done'."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeResult, NodeType, PermanentNodeError


class LoopConfig(NodeConfig):
    items: str = Field(min_length=1, description="Expression giving the list to iterate, e.g. 'input.files'.")
    max_iterations: int = Field(default=1000, ge=1, le=100_000)


def run(context: NodeContext, config: LoopConfig) -> NodeResult:
    memo: dict[str, Any] | None = context.memo
    if memo is None:
        items = context.evaluate(config.items)
        if not isinstance(items, list):
            raise PermanentNodeError(f"loop items must be a list, got {type(items).__name__}")
        if len(items) > config.max_iterations:
            raise PermanentNodeError(f"{len(items)} items exceed max_iterations={config.max_iterations}")
        memo = {"items": items, "index": 0, "results": []}
    else:
        # Back from the body: the engine hands us the output of the body node that just finished.
        memo = {**memo, "index": memo["index"] + 1, "results": [*memo["results"], context.input]}
    items, index = memo["items"], memo["index"]
    if index < len(items):
        return NodeResult(output={"item": items[index], "index": index, "total": len(items)}, route="body", memo=memo)
    return NodeResult(output={"results": memo["results"], "count": len(items)}, route="done", memo=None)


NODE = NodeType(
    type="loop",
    category="logic",
    description="Runs the 'body' branch once per item, then continues on 'done' with the results.",
    config_model=LoopConfig,
    run=run,
    handles=("body", "done"),
    loop=True,
)
