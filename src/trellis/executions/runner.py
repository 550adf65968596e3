"""Running an execution: compile its pinned workflow version, invoke LangGraph on the execution's
thread with durable checkpoints, wrap every node (record, retry policy, cancellation, events),
and settle the outcome (completed, waiting, retry later, failed, cancelled).

Every entry point is idempotent: a job that runs twice, or again after a crash, continues
from the last checkpoint, and a node run that already completed is never executed again.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphBubbleUp
from langgraph.types import Command

from trellis.core.errors import TrellisError
from trellis.engine.checkpoints import checkpointer_for
from trellis.engine.compiler import RunState, compile_graph, node_input
from trellis.engine.graph import ParsedNode, WorkflowGraph, parse_graph
from trellis.engine.nodes.base import NodeContext, NodeError, NodeResult
from trellis.executions import events, recorder
from trellis.executions.models import ExecutionStatus, NodeStatus, WorkflowExecution

if TYPE_CHECKING:
    from trellis.core.runtime import Runtime

log = structlog.get_logger("trellis.executions")

_TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (TimeoutError, ConnectionError)


class NodeRunFailed(Exception):
    def __init__(self, node_id: str, message: str, *, retry_in: float | None) -> None:
        super().__init__(message)
        self.node_id = node_id
        self.message = message
        self.retry_in = retry_in  # seconds until the next attempt; None = no attempts left


@dataclass(frozen=True)
class RunOutcome:
    status: str
    retry_in: float | None = None
    timers: tuple[dict[str, Any], ...] = ()


# ---------------------------------------------------------------- compiled graph cache


_compiled: OrderedDict[tuple[str, int, int], tuple[WorkflowGraph, Any]] = OrderedDict()
_CACHE_SIZE = 256


def compiled_for(runtime: Runtime, workflow_id: str, version: int, nodes: list[Any], connections: list[Any]) -> Any:
    checkpointer = checkpointer_for(runtime)
    key = (workflow_id, version, id(checkpointer))
    hit = _compiled.get(key)
    if hit is not None:
        _compiled.move_to_end(key)
        return hit
    graph = parse_graph(nodes, connections)
    compiled = compile_graph(graph, lambda node: _node_function(runtime, graph, node), checkpointer=checkpointer)
    _compiled[key] = (graph, compiled)
    while len(_compiled) > _CACHE_SIZE:
        _compiled.popitem(last=False)
    return graph, compiled


def thread_config(
    execution: WorkflowExecution, *, recursion_limit: int, checkpoint_id: str | None = None
) -> dict[str, Any]:
    configurable: dict[str, Any] = {
        "thread_id": str(execution.id),
        "trellis_run": execution.run,
        "trellis_workflow_id": str(execution.workflow_id),
        "trellis_workspace_id": str(execution.workspace_id),
    }
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable, "recursion_limit": recursion_limit}


# ---------------------------------------------------------------- the node wrapper


def _node_function(runtime: Runtime, graph: WorkflowGraph, node: ParsedNode) -> Any:
    node_type = node.node_type

    def run_node(state: RunState, config: RunnableConfig) -> dict[str, Any]:
        configurable = config["configurable"]
        execution_id: str = configurable["thread_id"]
        run: int = configurable["trellis_run"]
        step = int(config.get("metadata", {}).get("langgraph_step", 0))
        task_key = f"{run}:{step}:{node.id}"
        node_in = node_input(graph, node, state)
        start = recorder.begin_node(
            runtime,
            execution_id=execution_id,
            task_key=task_key,
            node_id=node.id,
            node_type=node_type.type,
            run=run,
            step=step,
            input_data=node_in,
        )
        if start.completed is not None:
            # Completed before a crash, but its checkpoint write was lost: reuse, never re-run.
            done = start.completed
            route, memo = done["details"].get("route"), done["details"].get("memo")
            return _state_update(node, NodeResult(done["output"], route, memo))
        events.publish(
            runtime,
            execution_id,
            "node_status",
            node_id=node.id,
            status="running",
            data={"attempt": start.attempt, "node_type": node_type.type},
        )
        context = NodeContext(
            execution_id=execution_id,
            workflow_id=configurable["trellis_workflow_id"],
            workspace_id=configurable["trellis_workspace_id"],
            node_id=node.id,
            node_type=node_type.type,
            run=run,
            attempt=start.attempt,
            idempotency_key=_idempotency_key(execution_id, task_key),
            input=node_in,
            outputs=state.get("outputs", {}),
            trigger=state.get("trigger", {}),
            memo=state.get("memo", {}).get(node.id),
            runtime=runtime,
            loop_back_sources=graph.loop_back_sources.get(node.id, ()),
            log=functools.partial(_log, runtime, execution_id, node.id),
        )
        began = time.perf_counter()
        try:
            result = node_type.execute(context, node.config)
        except GraphBubbleUp as pause:
            _record_pause(runtime, execution_id, task_key, node, pause)
            raise
        except Exception as exc:
            raise _record_failure(runtime, execution_id, task_key, node, start, exc) from exc
        details = {
            **result.details,
            "route": result.route,
            "memo": result.memo,
            "idempotency_key": context.idempotency_key,
        }
        duration = recorder.finish_node(
            runtime,
            execution_id=execution_id,
            task_key=task_key,
            status=NodeStatus.COMPLETED,
            started_at=start.started_at,
            output=result.output,
            details=details,
            earlier_details=start.details,
        )
        events.publish(
            runtime,
            execution_id,
            "node_status",
            node_id=node.id,
            status="completed",
            data={"duration_ms": duration or int((time.perf_counter() - began) * 1000), "route": result.route},
        )
        return _state_update(node, result)

    run_node.__name__ = f"node_{node.id}"
    return run_node


def _log(
    runtime: Runtime, execution_id: str, node_id: str, level: str, message: str, data: dict[str, Any] | None = None
) -> None:
    recorder.add_log(runtime, execution_id, level, message, node_id, data)


def _state_update(node: ParsedNode, result: NodeResult) -> dict[str, Any]:
    update: dict[str, Any] = {"outputs": {node.id: result.output}, "order": [node.id]}
    if result.route is not None:
        update["routes"] = {node.id: result.route}
    if node.node_type.loop:
        update["memo"] = {node.id: result.memo}
    return update


def _idempotency_key(execution_id: str, task_key: str) -> str:
    return hashlib.sha256(f"{execution_id}:{task_key}".encode()).hexdigest()[:40]


def _record_pause(runtime: Runtime, execution_id: str, task_key: str, node: ParsedNode, pause: GraphBubbleUp) -> None:
    request = _interrupt_value(pause)
    recorder.finish_node(
        runtime,
        execution_id=execution_id,
        task_key=task_key,
        status=NodeStatus.WAITING,
        details={"waiting_for": request},
    )
    events.publish(runtime, execution_id, "node_status", node_id=node.id, status="waiting", data=request or {})


def _interrupt_value(pause: GraphBubbleUp) -> dict[str, Any] | None:
    interrupts = pause.args[0] if pause.args else ()
    for item in interrupts if isinstance(interrupts, (list, tuple)) else ():
        value = getattr(item, "value", None)
        if isinstance(value, dict):
            return value
    return None


def _record_failure(
    runtime: Runtime, execution_id: str, task_key: str, node: ParsedNode, start: recorder.NodeStart, exc: Exception
) -> NodeRunFailed:
    attempt = start.attempt
    transient = exc.transient if isinstance(exc, NodeError) else _looks_transient(exc)
    message = str(exc) if isinstance(exc, (NodeError, TrellisError)) else f"{type(exc).__name__}: {exc}"
    retries_used = attempt - 1
    retry_in = (
        node.retry.delay_before_retry(retries_used + 1) if transient and retries_used < node.retry.max_retries else None
    )
    status = NodeStatus.RETRYING if retry_in is not None else NodeStatus.FAILED
    recorder.finish_node(
        runtime,
        execution_id=execution_id,
        task_key=task_key,
        status=status,
        started_at=start.started_at,
        error=message,
        details={"transient": transient, "retry_in_seconds": retry_in},
    )
    recorder.add_log(runtime, execution_id, "error", f"node {node.id} attempt {attempt} failed: {message}", node.id)
    events.publish(
        runtime,
        execution_id,
        "node_status",
        node_id=node.id,
        status=status.value,
        data={"attempt": attempt, "error": message, "retry_in_seconds": retry_in},
    )
    return NodeRunFailed(node.id, message, retry_in=retry_in)


def _looks_transient(exc: Exception) -> bool:
    if isinstance(exc, _TRANSIENT_EXCEPTIONS):
        return True
    return bool(getattr(exc, "transient", False))


# ---------------------------------------------------------------- running an execution


def run_execution(
    runtime: Runtime,
    execution: WorkflowExecution,
    nodes: list[Any],
    connections: list[Any],
    *,
    resume: dict[str, Any] | None = None,
    fork_checkpoint_id: str | None = None,
) -> RunOutcome:
    """Invoke (or continue) the execution's graph once; the caller turns the outcome into rows and jobs."""
    execution_id = str(execution.id)
    graph, compiled = compiled_for(runtime, str(execution.workflow_id), execution.workflow_version, nodes, connections)
    limit = runtime.settings.workflow_max_steps
    config = thread_config(execution, recursion_limit=limit, checkpoint_id=fork_checkpoint_id)
    if resume is not None:
        # Resume values are keyed by node id; LangGraph wants them keyed by the pending interrupt's id.
        pending = compiled.get_state({"configurable": {"thread_id": execution_id}}).interrupts
        mapping = {
            item.id: resume[item.value["node_id"]]
            for item in pending
            if isinstance(item.value, dict) and item.value.get("node_id") in resume
        }
        if not mapping:
            return RunOutcome("stale")
        graph_input: Any = Command(resume=mapping)
    elif fork_checkpoint_id is not None or _has_checkpoint(compiled, config):
        graph_input = None
    else:
        graph_input = {"entry": execution.trigger_node_id, "trigger": execution.trigger_data or {}, "outputs": {}}
    try:
        compiled.invoke(graph_input, config, durability="sync")
    except recorder.ExecutionCancelled:
        return RunOutcome("cancelled")
    except NodeRunFailed as failure:
        if failure.retry_in is not None:
            return RunOutcome("retry", retry_in=failure.retry_in)
        recorder.set_status(
            runtime,
            execution_id,
            ExecutionStatus.FAILED,
            expected=(ExecutionStatus.RUNNING,),
            error_message=f"node {failure.node_id}: {failure.message}",
            failed_node_id=failure.node_id,
        )
        return RunOutcome("failed")
    latest = compiled.get_state({"configurable": {"thread_id": execution_id}})
    if latest.interrupts:
        timers = tuple(item.value for item in latest.interrupts if isinstance(item.value, dict))
        recorder.set_status(runtime, execution_id, ExecutionStatus.WAITING, expected=(ExecutionStatus.RUNNING,))
        return RunOutcome("waiting", timers=timers)
    if latest.next:
        # Stopped with work left and no interrupt: a lost lease or a step limit. Continue on the next job.
        return RunOutcome("incomplete")
    outputs = latest.values.get("outputs", {})
    leaves = [node_id for node_id in graph.nodes if not graph.outgoing.get(node_id) and node_id in outputs]
    recorder.set_status(
        runtime,
        execution_id,
        ExecutionStatus.COMPLETED,
        expected=(ExecutionStatus.RUNNING,),
        output={node_id: outputs[node_id] for node_id in leaves},
    )
    return RunOutcome("completed")


def _has_checkpoint(compiled: Any, config: dict[str, Any]) -> bool:
    return (
        compiled.checkpointer.get_tuple({"configurable": {"thread_id": config["configurable"]["thread_id"]}})
        is not None
    )


def checkpoint_before_node(
    runtime: Runtime, execution: WorkflowExecution, nodes: list[Any], connections: list[Any], node_id: str
) -> str | None:
    """The newest checkpoint whose next step runs `node_id`: where a re-run from that node forks."""
    _graph, compiled = compiled_for(runtime, str(execution.workflow_id), execution.workflow_version, nodes, connections)
    for snapshot in compiled.get_state_history({"configurable": {"thread_id": str(execution.id)}}):
        if node_id in snapshot.next:
            checkpoint_id: str = snapshot.config["configurable"]["checkpoint_id"]
            return checkpoint_id
    return None
