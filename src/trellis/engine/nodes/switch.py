"""Switch: the first case whose value equals the switch value (or whose expression is true) wins."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeResult, NodeType


class SwitchCase(NodeConfig):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")
    equals: Any = None
    expression: str | None = None

    @model_validator(mode="after")
    def _one_test(self) -> SwitchCase:
        if (self.expression is None) == (self.equals is None):
            raise ValueError("give exactly one of 'equals' or 'expression'")
        return self


class SwitchConfig(NodeConfig):
    value: str | None = Field(default=None, description="Expression compared with each case's 'equals'.")
    cases: list[SwitchCase] = Field(min_length=1)

    @field_validator("cases")
    @classmethod
    def _unique_names(cls, cases: list[SwitchCase]) -> list[SwitchCase]:
        names = [case.name for case in cases]
        if len(set(names)) != len(names) or "default" in names:
            raise ValueError("case names must be unique and not 'default'")
        return cases


def run(context: NodeContext, config: SwitchConfig) -> NodeResult:
    value = context.evaluate(config.value) if config.value else None
    for case in config.cases:
        matched = bool(context.evaluate(case.expression)) if case.expression else value == case.equals
        if matched:
            return NodeResult(output=context.input, route=case.name, details={"case": case.name})
    return NodeResult(output=context.input, route="default", details={"case": "default"})


def _handles(config: SwitchConfig) -> tuple[str, ...]:
    return (*(case.name for case in config.cases), "default")


NODE = NodeType(
    type="switch",
    category="logic",
    description="Routes to the first matching case, else 'default'.",
    config_model=SwitchConfig,
    run=run,
    dynamic_handles=_handles,
)
