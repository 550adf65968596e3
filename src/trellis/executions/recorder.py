"""Database writes of a running execution: node runs, logs, status changes. Each call is one short transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, insert, select, update

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
    started_at: datetime
    completed: dict[str, Any] | None  # output and details when this node run already completed (crash recovery)


_table: Table = NodeExecution.__table__  # type: ignore[assignment]
_executions: Table = WorkflowExecution.__table__  # type: ignore[assignment]


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
    """Mark a node run as running (creating its row on the first attempt), unless the execution stopped.

    Core statements, not the ORM: this runs twice per node and is most of the engine's overhead.
    """
    execution_uuid = uuid.UUID(execution_id)
    now = utcnow()
    with runtime.database.engine.begin() as connection:
        execution = connection.execute(
            select(_executions.c.status, _executions.c.cancel_requested).where(_executions.c.id == execution_uuid)
        ).one_or_none()
        if execution is None or execution.cancel_requested or execution.status != ExecutionStatus.RUNNING.value:
            raise ExecutionCancelled(execution_id)
        row = connection.execute(
            select(
                _table.c.id,
                _table.c.status,
                _table.c.retry_count,
                _table.c.output_data,
                _table.c.metadata,
                _table.c.start_time,
            ).where(_table.c.execution_id == execution_uuid, _table.c.task_key == task_key)
        ).one_or_none()
        if row is None:
            connection.execute(
                insert(_table).values(
                    id=uuid.uuid4(),
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
                    metadata={},
                    created_at=now,
                )
            )
            return NodeStart(attempt=1, started_at=now, completed=None)
        if row.status == NodeStatus.COMPLETED.value:
            return NodeStart(
                attempt=row.retry_count + 1,
                started_at=now,
                completed={"output": row.output_data, "details": row.metadata or {}},
            )
        if row.status == NodeStatus.WAITING.value:
            # Resumed after an approval or a timer: the same attempt goes on.
            values: dict[str, Any] = {"status": NodeStatus.RUNNING.value}
            attempt = row.retry_count + 1
            # The pause counts in the node's duration: it started when it first ran.
            now = row.start_time or now
        else:
            # A retry after a failure, or a re-run after a worker died mid-node.
            values = {
                "status": NodeStatus.RUNNING.value,
                "retry_count": row.retry_count + 1,
                "start_time": now,
                "error_message": None,
            }
            attempt = row.retry_count + 2
        connection.execute(update(_table).where(_table.c.id == row.id).values(**values))
    return NodeStart(attempt=attempt, started_at=now, completed=None)


def finish_node(
    runtime: Runtime,
    *,
    execution_id: str,
    task_key: str,
    status: NodeStatus,
    started_at: datetime | None = None,
    output: Any = None,
    error: str | None = None,
    details: dict[str, Any] | None = None,
) -> int | None:
    """Record a node run's outcome in one UPDATE; returns its duration in ms."""
    now = utcnow()
    values: dict[str, Any] = {"status": status.value}
    duration = _ms(started_at, now)
    if status is NodeStatus.COMPLETED:
        values["output_data"] = _jsonable(output)
    if status in (NodeStatus.COMPLETED, NodeStatus.FAILED):
        values["end_time"] = now
        values["duration_ms"] = duration
    if error is not None:
        values["error_message"] = mask_text(error)[:_MAX_ERROR]
    with runtime.database.engine.begin() as connection:
        if details:
            # Merge: an approval's request or an earlier attempt's retry note stays on the record.
            earlier = connection.scalar(
                select(_table.c.metadata).where(
                    _table.c.execution_id == uuid.UUID(execution_id), _table.c.task_key == task_key
                )
            )
            values["metadata"] = {**(earlier or {}), **_jsonable(details)}
        connection.execute(
            update(_table)
            .where(_table.c.execution_id == uuid.UUID(execution_id), _table.c.task_key == task_key)
            .values(**values)
        )
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
        changed = session.execute(statement.values(**values)).rowcount  # type: ignore[attr-defined]
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
