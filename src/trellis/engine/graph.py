"""Parse and check a workflow's nodes and connections before it is saved or run. Pure.

Every problem names its node (or connection) and says why, so the API can answer one 422
that lists them all and the UI can mark each node.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trellis.engine import templating
from trellis.engine.nodes import NODE_TYPES
from trellis.engine.nodes.base import NodeType

DEFAULT_RETRY_DELAYS = (5.0, 30.0, 120.0)  # seed 004: 3 retries at 5 s, 30 s, 120 s


class RetryPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_retries: int = Field(default=3, ge=0, le=10)
    delays_seconds: list[float] = Field(default_factory=lambda: list(DEFAULT_RETRY_DELAYS), max_length=10)

    def delay_before_retry(self, retry_number: int) -> float:
        """Delay before retry `retry_number` (1-based); the last delay repeats."""
        if not self.delays_seconds:
            return 0.0
        return float(self.delays_seconds[min(retry_number, len(self.delays_seconds)) - 1])


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_\-]+$")
    type: str
    name: str | None = Field(default=None, max_length=255)
    config: dict[str, Any] = Field(default_factory=dict)
    position: dict[str, float] | None = None
    retry: RetryPolicy | None = None


class ConnectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    target: str
    source_handle: str | None = None
    target_handle: str | None = None


@dataclass(frozen=True)
class GraphProblem:
    node_id: str | None
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "field": self.field, "message": self.message}


@dataclass
class ParsedNode:
    spec: NodeSpec
    node_type: NodeType
    config: Any
    retry: RetryPolicy

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass
class WorkflowGraph:
    nodes: dict[str, ParsedNode]
    connections: list[ConnectionSpec]
    incoming: dict[str, list[ConnectionSpec]] = field(default_factory=lambda: defaultdict(list))
    outgoing: dict[str, list[ConnectionSpec]] = field(default_factory=lambda: defaultdict(list))
    loop_back_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def triggers(self) -> list[ParsedNode]:
        return [node for node in self.nodes.values() if node.node_type.is_trigger]

    def predecessors(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(c.source for c in self.incoming.get(node_id, [])))

    def handle_of(self, connection: ConnectionSpec) -> str | None:
        node = self.nodes[connection.source]
        return connection.source_handle or node.node_type.default_handle


class InvalidWorkflowGraph(ValueError):
    def __init__(self, problems: list[GraphProblem]) -> None:
        super().__init__("; ".join(f"{p.node_id or 'workflow'}: {p.message}" for p in problems))
        self.problems = problems


def parse_graph(nodes: list[Any], connections: list[Any]) -> WorkflowGraph:
    """The checked graph, or InvalidWorkflowGraph listing every problem found."""
    problems: list[GraphProblem] = []
    parsed = _parse_nodes(nodes, problems)
    graph = WorkflowGraph(nodes=parsed, connections=_parse_connections(connections, parsed, problems))
    for connection in graph.connections:
        graph.incoming[connection.target].append(connection)
        graph.outgoing[connection.source].append(connection)
    if len(parsed) == len(nodes) and not problems:
        _check_structure(graph, problems)
    if problems:
        raise InvalidWorkflowGraph(problems)
    return graph


def _parse_nodes(raw_nodes: list[Any], problems: list[GraphProblem]) -> dict[str, ParsedNode]:
    parsed: dict[str, ParsedNode] = {}
    for index, raw in enumerate(raw_nodes):
        node_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        try:
            spec = NodeSpec.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"])
                problems.append(GraphProblem(node_id, f"nodes[{index}].{where}: {error['msg']}", where))
            continue
        if spec.id in parsed:
            problems.append(GraphProblem(spec.id, "duplicate node id"))
            continue
        node_type = NODE_TYPES.get(spec.type)
        if node_type is None:
            known = ", ".join(sorted(NODE_TYPES))
            problems.append(GraphProblem(spec.id, f"unknown node type {spec.type!r} (known: {known})", "type"))
            continue
        try:
            config = node_type.config_model.model_validate(spec.config)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"]) or "config"
                problems.append(GraphProblem(spec.id, f"config.{where}: {error['msg']}", f"config.{where}"))
            continue
        for problem in templating.check_syntax(spec.config):
            problems.append(GraphProblem(spec.id, problem, "config"))
        parsed[spec.id] = ParsedNode(spec, node_type, config, spec.retry or RetryPolicy())
    return parsed


def _parse_connections(
    raw_connections: list[Any], nodes: dict[str, ParsedNode], problems: list[GraphProblem]
) -> list[ConnectionSpec]:
    result: list[ConnectionSpec] = []
    seen: set[tuple[str, str, str | None]] = set()
    for index, raw in enumerate(raw_connections):
        try:
            connection = ConnectionSpec.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"])
                problems.append(GraphProblem(None, f"connections[{index}].{where}: {error['msg']}", where))
            continue
        missing = [end for end in (connection.source, connection.target) if end not in nodes]
        if missing:
            problems.append(
                GraphProblem(missing[0], f"connections[{index}] refers to unknown node {missing[0]!r}", "connections")
            )
            continue
        source = nodes[connection.source]
        handles = source.node_type.handles_for(source.config)
        handle = connection.source_handle or source.node_type.default_handle
        if handles and handle is None:
            problems.append(
                GraphProblem(source.id, f"connection to {connection.target!r} must name a branch: {', '.join(handles)}")
            )
            continue
        if handles and handle not in handles:
            problems.append(
                GraphProblem(source.id, f"has no branch {handle!r} (branches: {', '.join(handles)})", "connections")
            )
            continue
        if not handles and connection.source_handle is not None:
            problems.append(GraphProblem(source.id, "has no named branches; remove source_handle", "connections"))
            continue
        key = (connection.source, connection.target, handle)
        if key in seen:
            problems.append(GraphProblem(source.id, f"duplicate connection to {connection.target!r}", "connections"))
            continue
        seen.add(key)
        result.append(connection)
    return result


def _check_structure(graph: WorkflowGraph, problems: list[GraphProblem]) -> None:
    triggers = graph.triggers
    if not triggers:
        problems.append(GraphProblem(None, "a workflow needs at least one trigger node (manual, webhook or cron)"))
        return
    for node in graph.nodes.values():
        inputs = len(graph.predecessors(node.id))
        if node.node_type.is_trigger and inputs:
            problems.append(GraphProblem(node.id, "a trigger cannot have incoming connections"))
        elif inputs < node.node_type.min_inputs:
            problems.append(
                GraphProblem(
                    node.id, f"needs at least {node.node_type.min_inputs} incoming connection(s), has {inputs}"
                )
            )
    reachable = _reachable(graph, [t.id for t in triggers])
    for node_id in graph.nodes:
        if node_id not in reachable:
            problems.append(GraphProblem(node_id, "is not reachable from any trigger"))
    cycle = _cycle_without_loop_node(graph)
    if cycle:
        problems.append(GraphProblem(cycle[0], f"cycle without a loop node: {' -> '.join(cycle)}"))
    for node in graph.nodes.values():
        if node.node_type.loop:
            _check_loop(graph, node, problems)
        if node.node_type.type == "merge" and node.config.mode == "wait_all":
            for source in graph.predecessors(node.id):
                if graph.nodes[source].node_type.handles_for(graph.nodes[source].config):
                    problems.append(
                        GraphProblem(
                            node.id,
                            f"a wait_all merge cannot wait on branching node {source!r} (it may never fire); "
                            "use mode 'any' or put a node in between",
                        )
                    )


def _check_loop(graph: WorkflowGraph, loop: ParsedNode, problems: list[GraphProblem]) -> None:
    body_starts = [c.target for c in graph.outgoing.get(loop.id, []) if graph.handle_of(c) == "body"]
    if not body_starts:
        problems.append(GraphProblem(loop.id, "the loop's 'body' branch is not connected"))
        return
    body = _reachable(graph, body_starts, stop_at=loop.id)
    back = tuple(dict.fromkeys(c.source for c in graph.incoming.get(loop.id, []) if c.source in body))
    if not back:
        problems.append(GraphProblem(loop.id, "no node of the loop's body connects back to the loop"))
    graph.loop_back_sources[loop.id] = back


def _reachable(graph: WorkflowGraph, starts: list[str], stop_at: str | None = None) -> set[str]:
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id == stop_at:
            continue
        seen.add(node_id)
        stack.extend(c.target for c in graph.outgoing.get(node_id, []))
    return seen


def _cycle_without_loop_node(graph: WorkflowGraph) -> list[str] | None:
    """A cycle that passes through no loop node, as a path, or None. Iterative DFS (graphs can be large)."""
    allowed = {node_id for node_id, node in graph.nodes.items() if not node.node_type.loop}
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    for root in allowed:
        if state.get(root):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node_id, index = stack.pop()
            if index == 0:
                state[node_id] = 1
                path.append(node_id)
            targets = [c.target for c in graph.outgoing.get(node_id, []) if c.target in allowed]
            if index < len(targets):
                stack.append((node_id, index + 1))
                target = targets[index]
                if state.get(target) == 1:
                    return [*path[path.index(target) :], target]
                if not state.get(target):
                    stack.append((target, 0))
            else:
                state[node_id] = 2
                path.pop()
    return None
