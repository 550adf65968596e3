"""Compile a checked workflow graph into a LangGraph StateGraph.

The state holds every node's latest output, the branch each branching node took, the memo
of nodes that keep state across visits (loops), and the order nodes completed in (so a
node with several inputs knows which one just arrived). Each node's function comes from
`make_node`, which wraps the node type with recording, retries and events.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

from trellis.engine.graph import ParsedNode, WorkflowGraph


def _merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {**(left or {}), **(right or {})}


class RunState(TypedDict, total=False):
    entry: str
    trigger: dict[str, Any]
    outputs: Annotated[dict[str, Any], _merge]
    routes: Annotated[dict[str, str], _merge]
    memo: Annotated[dict[str, Any], _merge]
    order: Annotated[list[str], operator.add]


NodeFunction = Callable[[RunState, Any], dict[str, Any]]


def node_input(graph: WorkflowGraph, node: ParsedNode, state: RunState) -> Any:
    """What a node receives: the trigger data, the output of the predecessor that just finished, or
    {predecessor: output} for a wait_all merge."""
    if node.node_type.is_trigger:
        return state.get("trigger", {})
    outputs = state.get("outputs", {})
    predecessors = graph.predecessors(node.id)
    if node.node_type.type == "merge" and node.config.mode == "wait_all":
        return {source: outputs[source] for source in predecessors if source in outputs}
    if len(predecessors) == 1:
        return outputs.get(predecessors[0])
    for done in reversed(state.get("order", [])):
        if done in predecessors:
            return outputs.get(done)
    return None


def compile_graph(
    graph: WorkflowGraph,
    make_node: Callable[[ParsedNode], NodeFunction],
    *,
    checkpointer: Any = None,
) -> Any:
    builder: StateGraph[RunState] = StateGraph(RunState)
    for node in graph.nodes.values():
        builder.add_node(node.id, make_node(node))  # type: ignore[call-overload]

    trigger_ids = [trigger.id for trigger in graph.triggers]
    builder.add_conditional_edges(START, _entry_router, {node_id: node_id for node_id in trigger_ids})

    joins = _wait_all_merges(graph)
    for node in graph.nodes.values():
        outgoing = graph.outgoing.get(node.id, [])
        if node.node_type.handles_for(node.config):
            by_handle: dict[str, list[str]] = {}
            for connection in outgoing:
                by_handle.setdefault(graph.handle_of(connection) or "", []).append(connection.target)
            targets = sorted({target for group in by_handle.values() for target in group})
            path_map: dict[Any, Any] = {target: target for target in targets}
            path_map[END] = END
            builder.add_conditional_edges(node.id, _branch_router(node.id, by_handle), path_map)
            continue
        plain = [c.target for c in outgoing if c.target not in joins]
        for target in plain:
            builder.add_edge(node.id, target)
        if not outgoing:
            builder.add_edge(node.id, END)
    for merge_id, sources in joins.items():
        builder.add_edge(sources, merge_id)
    return builder.compile(checkpointer=checkpointer)


def _entry_router(state: RunState) -> str:
    return state["entry"]


def _branch_router(node_id: str, by_handle: dict[str, list[str]]) -> Callable[[RunState], list[str]]:
    def route(state: RunState) -> list[str]:
        taken = state.get("routes", {}).get(node_id)
        return by_handle.get(taken or "", []) or [END]

    route.__name__ = f"route_{node_id}"
    return route


def _wait_all_merges(graph: WorkflowGraph) -> dict[str, list[str]]:
    return {
        node.id: graph.predecessors(node.id)
        for node in graph.nodes.values()
        if node.node_type.type == "merge" and node.config.mode == "wait_all"
    }
