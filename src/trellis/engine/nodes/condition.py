"""Condition: an if/else on a Jinja expression; the input passes through the branch taken."""

from __future__ import annotations

from pydantic import Field

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeResult, NodeType


class ConditionConfig(NodeConfig):
    expression: str = Field(min_length=1, description="A Jinja expression, e.g. 'input.status == 200'.")


def run(context: NodeContext, config: ConditionConfig) -> NodeResult:
    result = bool(context.evaluate(config.expression))
    return NodeResult(output=context.input, route="true" if result else "false", details={"result": result})


NODE = NodeType(
    type="condition",
    category="logic",
    description="Takes the 'true' or the 'false' branch.",
    config_model=ConditionConfig,
    run=run,
    handles=("true", "false"),
)
