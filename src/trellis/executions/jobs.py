"""Job handlers: run an execution (start, continue, resume, retry), timers, cron slots, retention."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog

from trellis.core.db import utcnow
from trellis.core.jobs import JobContext, enqueue, job_handler, periodic_task
from trellis.core.runtime import Runtime
from trellis.engine.checkpoints import delete_checkpoints
from trellis.executions import events, recorder, runner, service
from trellis.executions.models import FINISHED, ExecutionLog, ExecutionStatus, WorkflowExecution
from trellis.workflows import service as workflows_service

log = structlog.get_logger("trellis.executions")

TIMER_JOB = "executions.timer"


@job_handler(service.RUN_JOB, max_attempts=25, backoff_seconds=1.0)
def run_execution_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    runtime = ctx.runtime
    execution_id = uuid.UUID(payload["execution_id"])
    resume = payload.get("resume")
    with ctx.session() as session:
        execution = session.get(WorkflowExecution, execution_id)
        if execution is None or execution.status in FINISHED:
            return {"skipped": execution.status if execution else "deleted"}
        if execution.cancel_requested:
            recorder.set_status(runtime, str(execution_id), ExecutionStatus.CANCELLED)
            events.publish(runtime, str(execution_id), "status_change", status="cancelled")
            return {"status": "cancelled"}
        if execution.status == ExecutionStatus.WAITING.value and resume is None:
            return {"skipped": "waiting"}
        if resume is not None and execution.status == ExecutionStatus.RUNNING.value:
            events.publish(runtime, str(execution_id), "status_change", status="running", data={"resumed": True})
        if execution.status == ExecutionStatus.PENDING.value:
            execution.status = ExecutionStatus.RUNNING.value
            execution.start_time = execution.start_time or utcnow()
            session.add(
                ExecutionLog(
                    execution_id=execution.id,
                    level="info",
                    message=f"execution started: run {execution.run} of workflow version {execution.workflow_version}"
                    f" ({execution.trigger_type} trigger)",
                )
            )
            session.commit()
            events.publish(runtime, str(execution_id), "status_change", status="running", data={"run": execution.run})
        version = workflows_service.get_version(
            session, workflow_id=execution.workflow_id, version=execution.workflow_version
        )
        nodes, connections = version.nodes, version.connections
        session.expunge(execution)
    outcome = runner.run_execution(
        runtime, execution, nodes, connections, resume=resume, fork_checkpoint_id=payload.get("fork_checkpoint_id")
    )
    _settle(ctx, execution, outcome)
    return {"status": outcome.status}


# One line per outcome in the execution's log, so a run that went well has a readable trail too.
_OUTCOME_LOG = {
    "retry": "a node will be retried in {delay}",
    "waiting": "execution paused: waiting for an approval, a timer or a sub-workflow",
    "completed": "execution completed",
    "failed": "execution failed",
    "cancelled": "execution cancelled",
}


def _settle(ctx: JobContext, execution: WorkflowExecution, outcome: runner.RunOutcome) -> None:
    runtime = ctx.runtime
    execution_id = str(execution.id)
    # Follow-up jobs are keyed by this job, so a job that runs twice schedules them once.
    follow_up = f"execution:{execution_id}:after:{ctx.job_id}"
    if outcome.status in _OUTCOME_LOG:
        delay = f"{outcome.retry_in:g} s" if outcome.retry_in is not None else ""
        recorder.add_log(runtime, execution_id, "info", _OUTCOME_LOG[outcome.status].format(delay=delay))
    if outcome.status == "retry":
        enqueue(service.RUN_JOB, {"execution_id": execution_id}, follow_up, delay_seconds=outcome.retry_in or 0.0)
    elif outcome.status == "incomplete":
        enqueue(service.RUN_JOB, {"execution_id": execution_id}, follow_up)
    elif outcome.status == "waiting":
        for request in outcome.timers:
            _schedule_timer(execution_id, request)
            if request.get("kind") == "subworkflow":
                # The child may have finished before this run recorded that it waits for it.
                _resume_parent_of(ctx, uuid.UUID(request["child_execution_id"]))
        events.publish(runtime, execution_id, "status_change", status="waiting")
    elif outcome.status in ("completed", "failed", "cancelled"):
        if outcome.status == "cancelled":
            recorder.set_status(runtime, execution_id, ExecutionStatus.CANCELLED)
        events.publish(runtime, execution_id, "status_change", status=outcome.status)
        log.info("execution_finished", execution_id=execution_id, status=outcome.status)
        if execution.parent_execution_id is not None:
            _resume_parent_of(ctx, execution.id)


def _resume_parent_of(ctx: JobContext, child_id: uuid.UUID) -> None:
    with ctx.session() as session:
        service.resume_parent_if_done(session, child_id=child_id)
        session.commit()


def _schedule_timer(execution_id: str, request: dict[str, Any]) -> None:
    node_id = request.get("node_id")
    due = request.get("resume_at") or request.get("timeout_at")
    if not node_id or not due:
        return
    delay = max(0.0, (datetime.fromisoformat(due) - utcnow()).total_seconds())
    decision: dict[str, Any] = {"decision": "timeout"} if request.get("kind") == "approval" else {"timer": due}
    enqueue(
        TIMER_JOB,
        {"execution_id": execution_id, "node_id": node_id, "decision": decision},
        f"execution:{execution_id}:timer:{node_id}:{due}",
        delay_seconds=delay,
    )


@job_handler(TIMER_JOB, max_attempts=10)
def timer_due(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    with ctx.session() as session:
        resumed = service.resume_after_timer(
            session,
            execution_id=uuid.UUID(payload["execution_id"]),
            node_id=payload["node_id"],
            decision=payload["decision"],
        )
        session.commit()
    return {"resumed": resumed}


@periodic_task("executions.cron", lambda runtime: runtime.settings.workflow_scheduler_interval_seconds)
def fire_cron_slots(runtime: Runtime) -> None:
    with runtime.database.session_factory() as session:
        started = service.fire_due_schedules(session, now=utcnow())
        session.commit()
    for execution_id in started:
        log.info("cron_execution_started", execution_id=str(execution_id))


@periodic_task("executions.retention", lambda runtime: runtime.settings.execution_retention_interval_seconds)
def prune_old_executions(runtime: Runtime) -> None:
    days = runtime.settings.execution_retention_days
    if days <= 0:
        return
    with runtime.database.read_session_factory() as session:
        pruned = service.finished_before(session, older_than=service.retention_cutoff(days))
    # Checkpoints first (the saver has its own connection; SQLite would make it wait on our write lock).
    # A crash in between leaves rows without checkpoints, which the next pass deletes.
    for execution_id in pruned:
        delete_checkpoints(runtime, str(execution_id))
    with runtime.database.session_factory() as session:
        service.delete_executions(session, execution_ids=pruned)
        session.commit()
    if pruned:
        log.info("executions_pruned", count=len(pruned), older_than_days=days)
