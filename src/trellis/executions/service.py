"""Executions: start (manual, webhook, cron, sub-workflow), read, cancel, retry, re-run, approve/reject.

Routes and triggers only create rows and enqueue `executions.run`; the job does the running.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.auth.service import Principal
from trellis.core.db import utcnow
from trellis.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from trellis.core.jobs import enqueue
from trellis.executions.models import (
    FINISHED,
    ExecutionLog,
    ExecutionStatus,
    NodeExecution,
    NodeStatus,
    WorkflowExecution,
)
from trellis.workflows import service as workflows_service
from trellis.workflows.models import Workflow, WorkflowSchedule, WorkflowStatus
from trellis.workspaces import service as workspaces_service
from trellis.workspaces.permissions import Permission

RUN_JOB = "executions.run"


class ExecutionNotFound(NotFound):
    code = "execution_not_found"


class ExecutionStateConflict(Conflict):
    code = "execution_state_conflict"


@dataclass(frozen=True)
class ExecutionAccess:
    execution: WorkflowExecution
    principal: Principal


def load_execution(
    db_session: Session, *, principal: Principal, execution_id: uuid.UUID, permission: Permission
) -> ExecutionAccess:
    missing = ExecutionNotFound(f"Execution {execution_id} does not exist.", execution_id=str(execution_id))
    execution = db_session.get(WorkflowExecution, execution_id)
    if execution is None:
        raise missing
    workspaces_service.authorize(
        db_session, principal=principal, workspace_id=execution.workspace_id, permission=permission, not_found=missing
    )
    return ExecutionAccess(execution, principal)


# ---------------------------------------------------------------- starting


def start_execution(
    db_session: Session,
    *,
    workflow: Workflow,
    trigger_type: str,
    trigger_data: dict[str, Any],
    trigger_node_id: str | None = None,
    user_id: uuid.UUID | None = None,
    trigger_key: str | None = None,
    parent_execution_id: uuid.UUID | None = None,
) -> WorkflowExecution | None:
    """Create a pending execution of the workflow's current version and enqueue it.

    With a `trigger_key` (cron slot, webhook delivery, sub-workflow call) a second start with
    the same key returns None and starts nothing.
    """
    if workflow.status == WorkflowStatus.ARCHIVED.value:
        raise workflows_service.WorkflowNotRunnable("An archived workflow cannot run; set it to draft or published.")
    graph = workflows_service.check_graph(workflow.nodes, workflow.connections)
    if graph is None:
        raise workflows_service.WorkflowNotRunnable("The workflow has no nodes to run.")
    triggers = (
        [t for t in graph.triggers if t.id == trigger_node_id]
        if trigger_node_id
        else [t for t in graph.triggers if t.node_type.type == trigger_type]
    )
    if not triggers:
        available = ", ".join(f"{t.id} ({t.node_type.type})" for t in graph.triggers)
        raise InvalidInput(f"The workflow has no {trigger_node_id or trigger_type} trigger (triggers: {available}).")
    execution = WorkflowExecution(
        workflow_id=workflow.id,
        workspace_id=workflow.workspace_id,
        user_id=user_id,
        workflow_version=workflow.version,
        status=ExecutionStatus.PENDING.value,
        trigger_type=triggers[0].node_type.type,
        trigger_node_id=triggers[0].id,
        trigger_data=trigger_data,
        trigger_key=trigger_key,
        parent_execution_id=parent_execution_id,
        run=1,
        details={},
    )
    try:
        with db_session.begin_nested():
            db_session.add(execution)
            db_session.flush()
    except IntegrityError:
        if trigger_key is None:
            raise
        return None
    enqueue(RUN_JOB, {"execution_id": str(execution.id)}, f"execution:{execution.id}:start", db_session=db_session)
    return execution


def start_child_execution(
    runtime: Any,
    *,
    parent_execution_id: uuid.UUID,
    parent_node_id: str,
    workspace_id: uuid.UUID,
    workflow_id: uuid.UUID,
    trigger_data: dict[str, Any],
    key: str,
) -> uuid.UUID:
    """Start (once per `key`) a child execution for a sub-workflow node; returns its id."""
    trigger_key = f"sub:{parent_execution_id}:{key}"
    with runtime.database.session_factory() as session:
        workflow = session.get(Workflow, workflow_id)
        if workflow is None or workflow.workspace_id != workspace_id:
            raise NotFound(f"Workflow {workflow_id} does not exist in this workspace.")
        child = start_execution(
            session,
            workflow=workflow,
            trigger_type="manual",
            trigger_data=trigger_data,
            trigger_node_id=_first_trigger(workflow),
            trigger_key=trigger_key,
            parent_execution_id=parent_execution_id,
        )
        if child is not None:
            child.details = {"parent_node_id": parent_node_id}
            session.commit()
            return child.id
        existing: uuid.UUID | None = session.scalar(
            select(WorkflowExecution.id).where(
                WorkflowExecution.workflow_id == workflow_id, WorkflowExecution.trigger_key == trigger_key
            )
        )
        assert existing is not None
        return existing


def _first_trigger(workflow: Workflow) -> str | None:
    manual = [n["id"] for n in workflow.nodes if n.get("type") == "manual"]
    return manual[0] if manual else None


def resume_parent_if_done(db_session: Session, *, child_id: uuid.UUID) -> bool:
    """When a child execution has finished and its parent waits on it, resume the parent with the result."""
    child = db_session.get(WorkflowExecution, child_id)
    if child is None or child.parent_execution_id is None or child.status not in FINISHED:
        return False
    node_id = (child.details or {}).get("parent_node_id")
    if not node_id:
        return False
    outcome = {
        "status": child.status,
        "output": child.output,
        "error": child.error_message,
        "child_execution_id": str(child.id),
    }
    return resume_after_timer(db_session, execution_id=child.parent_execution_id, node_id=node_id, decision=outcome)


def start_manual(
    db_session: Session,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    trigger_type: str,
    trigger_data: dict[str, Any],
    trigger_node_id: str | None,
) -> WorkflowExecution:
    target = workflows_service.load_workflow(
        db_session, principal=principal, workflow_id=workflow_id, permission=Permission.WRITE
    )
    execution = start_execution(
        db_session,
        workflow=target.workflow,
        trigger_type=trigger_type,
        trigger_data=trigger_data,
        trigger_node_id=trigger_node_id,
        user_id=principal.user_id,
    )
    assert execution is not None
    audit_service.record(
        db_session,
        action="execution.started",
        user_id=principal.user_id,
        workspace_id=execution.workspace_id,
        resource_type="execution",
        resource_id=execution.id,
        metadata={"workflow_id": str(workflow_id), "version": execution.workflow_version},
    )
    return execution


def deliver_webhook(
    db_session: Session,
    *,
    workflow_id: uuid.UUID,
    node_id: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    payload: dict[str, Any],
) -> WorkflowExecution | None:
    """Verify an HMAC-signed delivery and start the workflow; replays of one delivery start nothing new."""
    unknown = NotFound("No webhook is registered at this address.")
    workflow = db_session.get(Workflow, workflow_id)
    if workflow is None or workflow.status != WorkflowStatus.PUBLISHED.value:
        raise unknown
    node = next((n for n in workflow.nodes if n.get("id") == node_id and n.get("type") == "webhook"), None)
    secret = workflows_service.webhook_secret_for_delivery(workflow)
    if node is None or secret is None:
        raise unknown
    if not timestamp or not signature or not timestamp.isdigit():
        raise Unauthorized("Sign deliveries: X-Trellis-Timestamp (unix seconds) and X-Trellis-Signature: sha256=<hex>.")
    max_age = int(node.get("config", {}).get("max_age_seconds", 300))
    if abs(time.time() - int(timestamp)) > max_age:
        raise Unauthorized(f"The delivery's timestamp is more than {max_age} s away from now.")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    given = signature.removeprefix("sha256=")
    if not hmac.compare_digest(expected, given):
        raise Unauthorized("The signature does not match the body.")
    return start_execution(
        db_session,
        workflow=workflow,
        trigger_type="webhook",
        trigger_data=payload,
        trigger_node_id=node_id,
        trigger_key=f"webhook:{node_id}:{expected[:32]}",
    )


def fire_due_schedules(db_session: Session, *, now: datetime) -> list[uuid.UUID]:
    """Start one execution per due cron slot; safe to call from many processes at once."""
    started: list[uuid.UUID] = []
    due = db_session.scalars(select(WorkflowSchedule).where(WorkflowSchedule.next_fire_at <= now)).all()
    for schedule in due:
        slot = schedule.next_fire_at
        workflow = db_session.get(Workflow, schedule.workflow_id)
        following = workflows_service.next_slot(schedule.cron, schedule.timezone, max(now, slot))
        # Whoever advances the schedule row owns this slot; the unique trigger key is the second fence.
        advanced = db_session.execute(
            update(WorkflowSchedule)
            .where(WorkflowSchedule.id == schedule.id, WorkflowSchedule.next_fire_at == slot)
            .values(next_fire_at=following, last_fired_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if not advanced or workflow is None:
            continue
        execution = start_execution(
            db_session,
            workflow=workflow,
            trigger_type="cron",
            trigger_data={"scheduled_for": slot.isoformat(), "fired_at": now.isoformat()},
            trigger_node_id=schedule.node_id,
            trigger_key=f"cron:{schedule.node_id}:{slot.isoformat()}",
        )
        if execution is not None:
            started.append(execution.id)
    return started


# ---------------------------------------------------------------- reading


def list_executions(
    db_session: Session,
    *,
    principal: Principal,
    workflow_id: uuid.UUID | None,
    status: str | None,
    workspace_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[WorkflowExecution], int]:
    if workspace_id is not None:
        workspaces_service.authorize(
            db_session, principal=principal, workspace_id=workspace_id, permission=Permission.READ
        )
        workspace_ids = [workspace_id]
    else:
        workspace_ids = workspaces_service.member_workspace_ids(db_session, user_id=principal.user_id)
    query = select(WorkflowExecution).where(WorkflowExecution.workspace_id.in_(workspace_ids))
    if workflow_id is not None:
        query = query.where(WorkflowExecution.workflow_id == workflow_id)
    if status:
        query = query.where(WorkflowExecution.status == status)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session.scalars(
        query.order_by(WorkflowExecution.created_at.desc(), WorkflowExecution.id).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def node_runs(db_session: Session, *, execution_id: uuid.UUID) -> list[NodeExecution]:
    query = select(NodeExecution).where(NodeExecution.execution_id == execution_id)
    return list(db_session.scalars(query.order_by(NodeExecution.created_at, NodeExecution.step)).all())


def logs(db_session: Session, *, execution_id: uuid.UUID, after_id: int, limit: int) -> list[ExecutionLog]:
    query = select(ExecutionLog).where(ExecutionLog.execution_id == execution_id, ExecutionLog.id > after_id)
    return list(db_session.scalars(query.order_by(ExecutionLog.id).limit(limit)).all())


def node_snapshot(db_session: Session, *, execution: WorkflowExecution) -> list[dict[str, Any]]:
    """Every node's latest state in this execution (for the WebSocket's first message)."""
    version = workflows_service.get_version(
        db_session, workflow_id=execution.workflow_id, version=execution.workflow_version
    )
    latest: dict[str, NodeExecution] = {}
    for row in node_runs(db_session, execution_id=execution.id):
        latest[row.node_id] = row
    snapshot = []
    for node in version.nodes:
        current = latest.get(node["id"])
        snapshot.append(
            {
                "node_id": node["id"],
                "node_type": node.get("type"),
                "status": current.status if current else "pending",
                "attempt": current.retry_count + 1 if current else 0,
                "duration_ms": current.duration_ms if current else None,
                "error": current.error_message if current else None,
            }
        )
    return snapshot


# ---------------------------------------------------------------- control


def cancel(db_session: Session, *, target: ExecutionAccess) -> WorkflowExecution:
    execution = target.execution
    if execution.status in FINISHED:
        raise ExecutionStateConflict(f"The execution is already {execution.status}.", status=execution.status)
    if execution.status == ExecutionStatus.RUNNING.value and _node_running(db_session, execution.id):
        execution.cancel_requested = True  # the running job stops before its next node
    else:
        # Nothing is mid-node (pending, waiting, or a node waiting out its retry delay): stop now; the
        # delayed job, when it comes, finds the execution finished and does nothing.
        execution.cancel_requested = True
        execution.status = ExecutionStatus.CANCELLED.value
        execution.end_time = utcnow()
        db_session.execute(
            update(NodeExecution)
            .where(
                NodeExecution.execution_id == execution.id,
                NodeExecution.status.in_([NodeStatus.WAITING.value, NodeStatus.RETRYING.value]),
            )
            .values(status=NodeStatus.CANCELLED.value)
        )
    _audit(db_session, "execution.cancel_requested", target)
    return execution


def _node_running(db_session: Session, execution_id: uuid.UUID) -> bool:
    running = select(NodeExecution.id).where(
        NodeExecution.execution_id == execution_id, NodeExecution.status == NodeStatus.RUNNING.value
    )
    return db_session.scalar(running.limit(1)) is not None


def retry(db_session: Session, *, target: ExecutionAccess) -> WorkflowExecution:
    """Continue a failed execution from its failed node; completed nodes keep their outputs."""
    execution = target.execution
    if execution.status != ExecutionStatus.FAILED.value:
        raise ExecutionStateConflict("Only a failed execution can be retried.", status=execution.status)
    _restart(db_session, execution)
    enqueue(
        RUN_JOB,
        {"execution_id": str(execution.id)},
        f"execution:{execution.id}:run:{execution.run}",
        db_session=db_session,
    )
    _audit(db_session, "execution.retried", target, {"run": execution.run})
    return execution


def rerun(
    db_session: Session, *, target: ExecutionAccess, from_node: str, checkpoint_id: str | None
) -> WorkflowExecution:
    """Run again from `from_node` (found by the caller in the checkpoint history), re-using earlier outputs."""
    execution = target.execution
    if execution.status not in FINISHED:
        raise ExecutionStateConflict(
            "Wait for the execution to finish (or cancel it) before re-running.", status=execution.status
        )
    if checkpoint_id is None:
        raise InvalidInput(f"Node {from_node!r} never ran in this execution; nothing to re-run from.")
    _restart(db_session, execution)
    enqueue(
        RUN_JOB,
        {"execution_id": str(execution.id), "fork_checkpoint_id": checkpoint_id},
        f"execution:{execution.id}:run:{execution.run}",
        db_session=db_session,
    )
    _audit(db_session, "execution.rerun", target, {"run": execution.run, "from_node": from_node})
    return execution


def decide_approval(
    db_session: Session, *, target: ExecutionAccess, node_id: str | None, approved: bool, comment: str | None
) -> WorkflowExecution:
    execution = target.execution
    waiting = db_session.scalars(
        select(NodeExecution).where(
            NodeExecution.execution_id == execution.id,
            NodeExecution.status == NodeStatus.WAITING.value,
            NodeExecution.node_type == "approval",
        )
    ).all()
    if node_id is not None and waiting and node_id not in {row.node_id for row in waiting}:
        raise ExecutionStateConflict(
            f"Node {node_id!r} is not waiting for an approval; waiting: {', '.join(r.node_id for r in waiting)}.",
            status=execution.status,
        )
    if node_id is not None:
        waiting = [row for row in waiting if row.node_id == node_id]
    if execution.status != ExecutionStatus.WAITING.value or not waiting:
        raise ExecutionStateConflict("No approval is waiting in this execution.", status=execution.status)
    if len(waiting) > 1:
        raise InvalidInput(
            "Several approvals are waiting; name one with node_id.", waiting=[row.node_id for row in waiting]
        )
    claimed = db_session.execute(
        update(WorkflowExecution)
        .where(WorkflowExecution.id == execution.id, WorkflowExecution.status == ExecutionStatus.WAITING.value)
        .values(status=ExecutionStatus.RUNNING.value, updated_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    if not claimed:
        raise ExecutionStateConflict("The execution is no longer waiting.")
    decision = {
        "decision": "approved" if approved else "rejected",
        "comment": comment,
        "decided_by": str(target.principal.user_id),
        "decided_by_email": target.principal.email,
    }
    row = waiting[0]
    enqueue(
        RUN_JOB,
        {"execution_id": str(execution.id), "resume": {row.node_id: decision}},
        f"execution:{execution.id}:decision:{row.task_key}",
        db_session=db_session,
    )
    _audit(db_session, f"execution.{decision['decision']}", target, {"node_id": row.node_id, "comment": comment})
    note = f": {comment}" if comment else ""
    db_session.add(
        ExecutionLog(
            execution_id=execution.id,
            node_id=row.node_id,
            level="info",
            message=f"{decision['decision']} by {target.principal.email}{note}",
        )
    )
    db_session.refresh(execution)
    return execution


def resume_after_timer(db_session: Session, *, execution_id: uuid.UUID, node_id: str, decision: dict[str, Any]) -> bool:
    """A wait node's time came, or an approval timed out: resume if that node is still waiting."""
    row = db_session.scalar(
        select(NodeExecution).where(
            NodeExecution.execution_id == execution_id,
            NodeExecution.node_id == node_id,
            NodeExecution.status == NodeStatus.WAITING.value,
        )
    )
    if row is None:
        return False
    claimed = db_session.execute(
        update(WorkflowExecution)
        .where(WorkflowExecution.id == execution_id, WorkflowExecution.status == ExecutionStatus.WAITING.value)
        .values(status=ExecutionStatus.RUNNING.value, updated_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    if not claimed:
        return False
    enqueue(
        RUN_JOB,
        {"execution_id": str(execution_id), "resume": {node_id: decision}},
        f"execution:{execution_id}:timer:{row.task_key}",
        db_session=db_session,
    )
    return True


def finished_before(db_session: Session, *, older_than: datetime, limit: int = 500) -> list[uuid.UUID]:
    query = select(WorkflowExecution.id).where(
        WorkflowExecution.created_at < older_than, WorkflowExecution.status.in_([s.value for s in FINISHED])
    )
    return list(db_session.scalars(query.limit(limit)).all())


def delete_executions(db_session: Session, *, execution_ids: list[uuid.UUID]) -> None:
    """Node runs and logs go with them (ON DELETE CASCADE)."""
    for execution_id in execution_ids:
        execution = db_session.get(WorkflowExecution, execution_id)
        if execution is not None:
            db_session.delete(execution)


def _restart(db_session: Session, execution: WorkflowExecution) -> None:
    execution.run += 1
    execution.status = ExecutionStatus.PENDING.value
    execution.error_message = None
    execution.failed_node_id = None
    execution.end_time = None
    execution.cancel_requested = False
    execution.updated_at = utcnow()


def _audit(db_session: Session, action: str, target: ExecutionAccess, metadata: dict[str, Any] | None = None) -> None:
    audit_service.record(
        db_session,
        action=action,
        user_id=target.principal.user_id,
        workspace_id=target.execution.workspace_id,
        resource_type="execution",
        resource_id=target.execution.id,
        metadata=metadata or {},
    )


def retention_cutoff(days: float) -> datetime:
    return utcnow() - timedelta(days=days)
