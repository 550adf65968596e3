"""What every node type is made of: a config schema, a run function, its branches, its errors."""

from __future__ import annotations

import asyncio
import builtins
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from trellis.engine import templating

if TYPE_CHECKING:
    from trellis.core.runtime import Runtime


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeError(Exception):
    """A node failed; `transient` failures are retried by the node's retry policy, permanent ones are not."""

    transient = False


class TransientNodeError(NodeError):
    transient = True


class PermanentNodeError(NodeError):
    transient = False


@dataclass
class NodeResult:
    output: Any
    route: str | None = None  # the branch taken, for nodes with handles
    memo: Any = None  # state the node keeps across its own visits (a loop's position)
    details: dict[str, Any] = field(default_factory=dict)  # usage, cost, ... stored on the node run


@dataclass
class NodeContext:
    """What a node sees of its run. Built by the engine for every node attempt."""

    execution_id: str
    workflow_id: str
    workspace_id: str
    node_id: str
    node_type: str
    run: int
    attempt: int
    # Stable across the attempts of one node run (and across crash recovery): receivers can de-duplicate.
    idempotency_key: str
    input: Any
    outputs: dict[str, Any]
    trigger: dict[str, Any]
    memo: Any
    runtime: Runtime
    loop_back_sources: tuple[str, ...] = ()
    log: Callable[[str, str, dict[str, Any] | None], None] = field(default=lambda _level, _message, _data: None)
    started_monotonic: float = field(default_factory=time.monotonic)

    def template_data(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "nodes": self.outputs,
            "trigger": self.trigger,
            "execution": {"id": self.execution_id, "workflow_id": self.workflow_id, "run": self.run},
        }

    def render(self, value: Any) -> Any:
        try:
            return templating.render(value, self.template_data())
        except templating.TemplateError as exc:
            raise PermanentNodeError(str(exc)) from exc

    def evaluate(self, expression: str) -> Any:
        try:
            return templating.evaluate(expression, self.template_data())
        except templating.TemplateError as exc:
            raise PermanentNodeError(str(exc)) from exc


RunFunction = Callable[[NodeContext, Any], Any]


@dataclass(frozen=True)
class NodeType:
    type: str
    category: str  # trigger, agent, action, logic, integration
    description: str
    config_model: builtins.type[NodeConfig]
    run: RunFunction  # (context, config) -> NodeResult | output; may be async
    handles: tuple[str, ...] = ()  # named output branches; () = every outgoing connection fires
    dynamic_handles: Callable[[Any], tuple[str, ...]] | None = None  # from the config (switch cases)
    default_handle: str | None = None  # a connection without source_handle leaves through this one
    is_trigger: bool = False
    min_inputs: int = 1
    side_effects: bool = False
    loop: bool = False

    def handles_for(self, config: Any) -> tuple[str, ...]:
        return self.dynamic_handles(config) if self.dynamic_handles is not None else self.handles

    def config_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self.config_model.model_json_schema()
        return schema

    def execute(self, context: NodeContext, config: Any) -> NodeResult:
        outcome = self.run(context, config)
        if inspect.isawaitable(outcome):
            outcome = asyncio.run(_awaited(outcome))
        return outcome if isinstance(outcome, NodeResult) else NodeResult(output=outcome)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
