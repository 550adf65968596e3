"""Plan versions of a project: made from the current requirements and the latest validation run, keyed by their
hashes (the same inputs return the stored version), with the task-status rows each new version needs, the
versions' list and diff, and the gateway's PLAN_COMPLETE guard. The caller owns the transaction."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core.db import utcnow
from trellis.core.errors import Conflict, NotFound
from trellis.planning.diff import diff_plans
from trellis.planning.docs import DocFile, read_doc_files
from trellis.planning.models import PlanVersionRow, TaskState, TaskStatusEvent
from trellis.planning.planner import PLANNER_VERSION, PlanInput, plan_project, requirements_hash, validation_hash
from trellis.planning.types import Plan
from trellis.projects import service as projects_service
from trellis.projects.service import ProjectAccess
from trellis.projects.state_machine import ProjectStatus

PLANNING_STATES = frozenset({ProjectStatus.PLAN_READY, ProjectStatus.PLANNING})
_WHAT_NOW = {
    ProjectStatus.PROMPTS_READY: "The plan is approved: block the project and revise_plan to change it.",
    ProjectStatus.EXECUTING: "The plan is being executed: block the project and revise_plan to change it.",
    ProjectStatus.BLOCKED: "Take revise_plan through the gateway to plan again.",
    ProjectStatus.DONE: "The project is done.",
    ProjectStatus.CODE_VALIDATED: "Approve the code validation first (approve_validation).",
}


# A stored version never changes, so its parsed Plan can be kept: a 1,000-task plan is 3 MB of JSON and ~0.3 s
# to load and parse, and every task request reads it. The body column is deferred, so a cached plan skips both.
_PARSED: OrderedDict[uuid.UUID, Plan] = OrderedDict()
_PARSED_MAX = 32
_PARSED_LOCK = threading.Lock()


def plan_of(row: PlanVersionRow) -> Plan:
    with _PARSED_LOCK:
        cached = _PARSED.get(row.id)
        if cached is not None:
            _PARSED.move_to_end(row.id)
            return cached
    plan = Plan.from_dict(row.body)
    with _PARSED_LOCK:
        _PARSED[row.id] = plan
        while len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return plan


class PlanNotFound(NotFound):
    code = "plan_not_found"


class PlanVersionNotFound(NotFound):
    code = "plan_version_not_found"


class PlanLocked(Conflict):
    code = "plan_locked"


def plan_inputs(db: Session, project_id: uuid.UUID) -> tuple[list[PlanInput], Any]:
    from trellis.requirements import service as requirements_service

    rows = requirements_service.list_requirements(db, project_id=project_id)
    inputs = [
        PlanInput(
            code=r.code,
            text=r.data.get("text", ""),
            acceptance_criteria=tuple(r.data.get("acceptance_criteria") or ()),
            dependencies=tuple(r.data.get("dependencies") or ()),
            priority=r.data.get("priority"),
            tags=tuple(r.data.get("tags") or ()),
            version=r.version,
            title=r.data.get("title"),
        )
        for r in rows
    ]
    return inputs, requirements_service.analyze_requirements(rows)


def generate_plan(
    db: Session, *, target: ProjectAccess, seed: int = 0, correlation_id: str | None = None
) -> tuple[PlanVersionRow, Plan, bool]:
    """POST /plan: plan the project's current requirements against its latest validation run. The same inputs
    return the stored version (created False); new inputs make the next version. PLAN_READY moves to PLANNING
    through the gateway (start_planning)."""
    project = target.project
    status = ProjectStatus(project.status)
    if status not in PLANNING_STATES:
        early = status not in _WHAT_NOW or status is ProjectStatus.CODE_VALIDATED
        raise PlanLocked(
            f"Plans are made in PLAN_READY or PLANNING; the project is {status.value}. "
            + _WHAT_NOW.get(status, "Finish the requirements and the code validation, then approve_validation."),
            code="plan_not_ready" if early else None,
            current_state=status.value,
        )
    from trellis.validation import service as validation_service

    inputs, analysis = plan_inputs(db, project.id)
    run = validation_service.latest_completed_run(db, project_id=project.id)
    report = run.report if run is not None else None
    docs = _doc_files(db, project.id)
    req_hash, val_hash = requirements_hash(inputs), validation_hash(report, docs) or "none"
    if status is ProjectStatus.PLAN_READY:
        projects_service.apply_transition(db, target=target, action="start_planning", correlation_id=correlation_id)
    existing = _find_version(db, project.id, req_hash, val_hash)
    if existing is not None:
        existing.times_requested += 1
        existing.last_requested_at = utcnow()
        return existing, plan_of(existing), False
    plan = plan_project(inputs, analysis, report, doc_files=docs, seed=seed)
    version = (
        db.scalar(select(func.max(PlanVersionRow.version)).where(PlanVersionRow.project_id == project.id)) or 0
    ) + 1
    row = PlanVersionRow(
        project_id=project.id,
        version=version,
        requirements_hash=req_hash,
        validation_hash=val_hash,
        planner_version=PLANNER_VERSION,
        validation_run_id=run.id if run is not None else None,
        seed=seed,
        task_count=len(plan.tasks),
        total_p50_hours=plan.total_p50_hours,
        total_p85_hours=plan.total_p85_hours,
        body=plan.as_dict(),
        created_by=target.access.user_id,
    )
    try:
        with db.begin_nested():  # a racing request for the same inputs: re-use its row
            db.add(row)
    except IntegrityError:
        raced = _find_version(db, project.id, req_hash, val_hash)
        if raced is None:
            raise
        return raced, plan_of(raced), False
    _sync_task_states(db, project.id, plan, version, target.access.user_id)
    audit_service.record(
        db,
        action="plan.created",
        user_id=target.access.user_id,
        workspace_id=project.workspace_id,
        resource_type="project",
        resource_id=project.id,
        correlation_id=correlation_id,
        metadata={"version": version, "tasks": len(plan.tasks), "validation_run_id": str(run.id) if run else None},
    )
    return row, plan, True


def _doc_files(db: Session, project_id: uuid.UUID) -> list[DocFile] | None:
    """The documentation files of the project's cloned repository; None without a finished clone."""
    from trellis.repos import service as repos_service

    try:
        snapshot = repos_service.project_snapshot(db, project_id=project_id)
    except repos_service.RepositoryNotReady:
        return None
    try:
        return read_doc_files(snapshot.path)
    except OSError:  # the working tree went away under us: plan as without a clone
        return None


def _find_version(db: Session, project_id: uuid.UUID, req_hash: str, val_hash: str) -> PlanVersionRow | None:
    return db.scalar(
        select(PlanVersionRow).where(
            PlanVersionRow.project_id == project_id,
            PlanVersionRow.requirements_hash == req_hash,
            PlanVersionRow.validation_hash == val_hash,
            PlanVersionRow.planner_version == PLANNER_VERSION,
        )
    )


def _sync_task_states(db: Session, project_id: uuid.UUID, plan: Plan, version: int, actor_id: uuid.UUID | None) -> None:
    """One status row per task of the new version; a task keeps its status when the same work (key) had one."""
    rows = {r.task_id: r for r in db.scalars(select(TaskState).where(TaskState.project_id == project_id))}
    by_key = {r.task_key: r.status for r in rows.values()}
    for task in plan.tasks:
        carried = by_key.get(task.key, "pending")
        row = rows.get(task.id)
        if row is None:
            db.add(TaskState(project_id=project_id, task_id=task.id, task_key=task.key, plan_version=version,
                             status=carried, updated_by=actor_id))  # fmt: skip
            db.add(TaskStatusEvent(project_id=project_id, task_id=task.id, from_status=None, to_status=carried,
                                   actor_id=actor_id, note=f"planned in version {version}"))  # fmt: skip
            continue
        if row.task_key != task.key or row.status != carried:
            note = f"plan version {version} gave this id to {task.key} (was {row.task_key})"
            db.add(TaskStatusEvent(project_id=project_id, task_id=task.id, from_status=row.status, to_status=carried,
                                   actor_id=actor_id, note=note))  # fmt: skip
            row.task_key, row.status, row.verification = task.key, carried, None
        row.plan_version = version


def current_plan(db: Session, project_id: uuid.UUID) -> tuple[PlanVersionRow, Plan] | None:
    row = db.scalar(
        select(PlanVersionRow)
        .where(PlanVersionRow.project_id == project_id)
        .order_by(PlanVersionRow.version.desc())
        .limit(1)
    )
    return None if row is None else (row, plan_of(row))


def require_plan(db: Session, project_id: uuid.UUID) -> tuple[PlanVersionRow, Plan]:
    found = current_plan(db, project_id)
    if found is None:
        raise PlanNotFound(
            "This project has no plan yet (POST /api/v1/projects/{id}/plan).", project_id=str(project_id)
        )
    return found


def list_versions(db: Session, project_id: uuid.UUID) -> list[PlanVersionRow]:
    return list(
        db.scalars(
            select(PlanVersionRow).where(PlanVersionRow.project_id == project_id).order_by(PlanVersionRow.version)
        )
    )


def get_version(db: Session, project_id: uuid.UUID, version: int) -> PlanVersionRow:
    row = db.scalar(
        select(PlanVersionRow).where(PlanVersionRow.project_id == project_id, PlanVersionRow.version == version)
    )
    if row is None:
        raise PlanVersionNotFound(f"Plan version {version} does not exist in this project.", version=version)
    return row


def diff_versions(db: Session, project_id: uuid.UUID, from_version: int, to_version: int) -> dict[str, Any]:
    old, new = get_version(db, project_id, from_version), get_version(db, project_id, to_version)
    return {"from": from_version, "to": to_version, **diff_plans(plan_of(old), plan_of(new))}


def check_plan_complete(db: Session, *, project_id: uuid.UUID) -> dict[str, Any]:
    """The gateway's PLAN_COMPLETE guard (approving the plan): a plan of the current requirements with tasks."""
    found = current_plan(db, project_id)
    guard = "plan_complete"
    if found is None:
        raise projects_service.GuardFailed(
            "No plan exists for this project yet (POST /api/v1/projects/{id}/plan).", guard=guard
        )
    row, plan = found
    inputs, _ = plan_inputs(db, project_id)
    if requirements_hash(inputs) != row.requirements_hash:
        raise projects_service.GuardFailed(
            f"The requirements changed after plan version {row.version} was made; plan again (POST /plan) first.",
            guard=guard,
            plan_version=row.version,
        )
    if not plan.tasks:
        raise projects_service.GuardFailed(f"Plan version {row.version} has no tasks.", guard=guard)
    return {"plan_version": row.version, "tasks": len(plan.tasks)}
