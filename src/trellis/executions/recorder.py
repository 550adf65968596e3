"""Database writes of a running execution: node runs, logs, status changes. Each call is one short transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from trellis.core.db import utcnow
from trellis.core.masking import mask_text
from trellis.executions.models import ExecutionLog, ExecutionStatus, NodeExecution, NodeStatus, WorkflowExecution

if TYPE_CHECKING:
    from trellis.core.runtime import Runtime

_MAX_ERROR = 4000


class ExecutionCancelled(Exception):
    """The execution was cancelled (or finished) while running; stop before the next node."""


@dataclass(frozen=True)
class NodeStart:
    attempt: int  # 1 for the first attempt of this node run
    completed: NodeExecution | None  # set when this node run already completed (crash recovery)


def begin_node(
    runtime: Runtime,
    *,
    execution_id: str,
    task_key: str,
    node_id: str,
    node_type: str,
    run: int,
    step: int,
    input_data: Any,
) -> NodeStart:
    """Mark a node run as running (creating its row on the first attempt), unless the execution stopped."""
    execution_uuid = uuid.UUID(execution_id)
    now = utcnow()
    with runtime.database.session_factory() as session:
        execution = session.execute(
            select(WorkflowExecution.status, WorkflowExecution.cancel_requested).where(
                WorkflowExecution.id == execution_uuid
            )
        ).one_or_none()
        if execution is None or execution.cancel_requested or execution.status != ExecutionStatus.RUNNING.value:
            raise ExecutionCancelled(execution_id)
        row = session.scalar(
            select(NodeExecution).where(
                NodeExecution.execution_id == execution_uuid, NodeExecution.task_key == task_key
            )
        )
        if row is not None and row.status == NodeStatus.COMPLETED.value:
            return NodeStart(attempt=row.retry_count + 1, completed=row)
        if row is None:
            row = NodeExecution(
                execution_id=execution_uuid,
                node_id=node_id,
                node_type=node_type,
                task_key=task_key,
                run=run,
                step=step,
                status=NodeStatus.RUNNING.value,
                input_data=_jsonable(input_data),
                start_time=now,
                retry_count=0,
                details={},
            )
            session.add(row)
        elif row.status == NodeStatus.WAITING.value:
            row.status = NodeStatus.RUNNING.value  # resumed after an approval or a timer: same attempt
        else:
            # A retry after a failure, or a re-run after a worker died mid-node.
            row.retry_count += 1
            row.status = NodeStatus.RUNNING.value
            row.start_time = now
            row.error_message = None
        attempt = row.retry_count + 1
        session.commit()
    return NodeStart(attempt=attempt, completed=None)


def finish_node(
    runtime: Runtime,
    *,
    execution_id: str,
    task_key: str,
    status: NodeStatus,
    output: Any = None,
    error: str | None = None,
    details: dict[str, Any] | None = None,
) -> int | None:
    """Record a node run's outcome; returns its duration in ms."""
    now = utcnow()
    with runtime.database.session_factory() as session:
        row = session.scalar(
            select(NodeExecution).where(
                NodeExecution.execution_id == uuid.UUID(execution_id), NodeExecution.task_key == task_key
            )
        )
        if row is None:
            return None
        row.status = status.value
        if status is NodeStatus.COMPLETED:
            row.output_data = _jsonable(output)
        if status in (NodeStatus.COMPLETED, NodeStatus.FAILED):
            row.end_time = now
            row.duration_ms = _ms(row.start_time, now)
        if error is not None:
            row.error_message = mask_text(error)[:_MAX_ERROR]
        if details:
            row.details = {**(row.details or {}), **_jsonable(details)}
        duration = row.duration_ms
        session.commit()
    return duration


def add_log(
    runtime: Runtime,
    execution_id: str,
    level: str,
    message: str,
    node_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    with runtime.database.session_factory() as session:
        session.add(
            ExecutionLog(
                execution_id=uuid.UUID(execution_id),
                node_id=node_id,
                level=level,
                message=mask_text(message)[:_MAX_ERROR],
                data=_jsonable(data) if data else None,
            )
        )
        session.commit()


def set_status(
    runtime: Runtime,
    execution_id: str,
    status: ExecutionStatus,
    *,
    expected: tuple[ExecutionStatus, ...] | None = None,
    **fields: Any,
) -> bool:
    """Conditional status change: only from one of `expected` (any when None). True when it happened."""
    now = utcnow()
    values: dict[str, Any] = {"status": status.value, "updated_at": now, **fields}
    if status in (ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED):
        values["end_time"] = now
    if values.get("error_message"):
        values["error_message"] = mask_text(values["error_message"])[:_MAX_ERROR]
    statement = update(WorkflowExecution).where(WorkflowExecution.id == uuid.UUID(execution_id))
    if expected is not None:
        statement = statement.where(WorkflowExecution.status.in_([s.value for s in expected]))
    with runtime.database.session_factory() as session:
        changed = session.execute(statement.values(**values)).rowcount
        if changed and status in (ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED):
            execution = session.get(WorkflowExecution, uuid.UUID(execution_id))
            if execution is not None and execution.start_time is not None:
                execution.duration_ms = _ms(execution.start_time, now)
        session.commit()
    return bool(changed)


def _ms(start: datetime | None, end: datetime) -> int | None:
    return None if start is None else int((end - start).total_seconds() * 1000)


def _jsonable(value: Any) -> Any:
    """JSON columns take plain data; anything else is kept as its text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return str(value)
