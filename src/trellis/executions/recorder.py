"""Database writes of a running execution: node runs, logs, status changes. Each call is one short transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Insert, Table, Update, and_, bindparam, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

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
    details: dict[str, Any] | None = None  # the row's metadata so far; None = unknown, finish_node reads it


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

    The common case (first attempt of a running execution) is one conditional INSERT; retries, resumes
    and recovery after a crash take the slower path that reads what is there. This runs once per node
    and, with finish_node, is most of the engine's per-hop overhead.
    """
    execution_uuid = uuid.UUID(execution_id)
    now = utcnow()
    with runtime.database.engine.begin() as connection:
        created = connection.execute(
            _first_attempt_insert(connection.dialect.name),
            {
                "new_id": uuid.uuid4(),
                "execution_uuid": execution_uuid,
                "node_id": node_id,
                "node_type": node_type,
                "task_key": task_key,
                "run": run,
                "step": step,
                "input_data": _jsonable(input_data),
                "now": now,
            },
        ).first()
        if created is not None:
            return NodeStart(attempt=1, started_at=now, completed=None, details={})
        return _begin_again(connection, execution_uuid, task_key, now)


def _begin_again(connection: Any, execution_uuid: uuid.UUID, task_key: str, now: datetime) -> NodeStart:
    """The row exists (a retry, a resume, a crash) or the execution stopped: read and decide."""
    execution = connection.execute(
        select(_executions.c.status, _executions.c.cancel_requested).where(_executions.c.id == execution_uuid)
    ).one_or_none()
    if execution is None or execution.cancel_requested or execution.status != ExecutionStatus.RUNNING.value:
        raise ExecutionCancelled(str(execution_uuid))
    row = connection.execute(
        select(
            _table.c.id,
            _table.c.status,
            _table.c.retry_count,
            _table.c.output_data,
            _table.c.metadata,
            _table.c.start_time,
        ).where(_table.c.execution_id == execution_uuid, _table.c.task_key == task_key)
    ).one()
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
    return NodeStart(attempt=attempt, started_at=now, completed=None, details=row.metadata or {})


_insert_statements: dict[str, Insert] = {}


def _first_attempt_insert(dialect: str) -> Insert:
    """INSERT the node run's row only while its execution is running and not cancelled, and only once.

    Built once per dialect with bind parameters, so each call skips statement construction.
    """
    statement = _insert_statements.get(dialect)
    if statement is not None:
        return statement
    dialect_insert = sqlite.insert if dialect == "sqlite" else postgresql.insert  # the two databases we run on
    columns = {
        "id": bindparam("new_id", type_=_table.c.id.type),
        "execution_id": bindparam("execution_uuid", type_=_table.c.execution_id.type),
        "node_id": bindparam("node_id", type_=_table.c.node_id.type),
        "node_type": bindparam("node_type", type_=_table.c.node_type.type),
        "task_key": bindparam("task_key", type_=_table.c.task_key.type),
        "run": bindparam("run", type_=_table.c.run.type),
        "step": bindparam("step", type_=_table.c.step.type),
        "status": literal(NodeStatus.RUNNING.value),
        "input_data": bindparam("input_data", type_=_table.c.input_data.type),
        "start_time": bindparam("now", type_=_table.c.start_time.type),
        "retry_count": literal(0),
        "metadata": literal({}, type_=_table.c.metadata.type),
        "created_at": bindparam("now", type_=_table.c.created_at.type),
    }
    source = select(*columns.values()).where(
        and_(
            _executions.c.id == bindparam("execution_uuid", type_=_executions.c.id.type),
            _executions.c.status == ExecutionStatus.RUNNING.value,
            _executions.c.cancel_requested.is_not(true()),
        )
    )
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... SELECT through SQLAlchemy.
    statement = (
        dialect_insert(_table).from_select(list(columns), source).on_conflict_do_nothing().returning(_table.c.id)
    )
    _insert_statements[dialect] = statement
    return statement


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
    earlier_details: dict[str, Any] | None = None,
) -> int | None:
    """Record a node run's outcome in one UPDATE; returns its duration in ms.

    `details` are merged into the row's metadata (an approval's request or an earlier attempt's retry
    note stays on the record); pass `earlier_details` when the caller knows them, to skip reading them.
    """
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
            earlier = earlier_details
            if earlier is None:
                earlier = connection.scalar(
                    select(_table.c.metadata).where(
                        _table.c.execution_id == uuid.UUID(execution_id), _table.c.task_key == task_key
                    )
                )
            values["metadata"] = {**(earlier or {}), **_jsonable(details)}
        connection.execute(
            _node_update(frozenset(values)),
            {"where_execution": uuid.UUID(execution_id), "where_task_key": task_key}
            | {f"set_{name}": value for name, value in values.items()},
        )
    return duration


_update_statements: dict[frozenset[str], Update] = {}


def _node_update(columns: frozenset[str]) -> Update:
    """UPDATE of a node run's row setting `columns`, built once per column set (a handful exist)."""
    statement = _update_statements.get(columns)
    if statement is None:
        statement = (
            update(_table)
            .where(
                _table.c.execution_id == bindparam("where_execution", type_=_table.c.execution_id.type),
                _table.c.task_key == bindparam("where_task_key", type_=_table.c.task_key.type),
            )
            .values({name: bindparam(f"set_{name}", type_=_table.c[name].type) for name in sorted(columns)})
        )
        _update_statements[columns] = statement
    return statement


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
