"""Plans and execution tracking for a project. Every function takes a SQLAlchemy Session; the caller owns the
transaction and has authorized the caller (workspaces.service.authorize / projects.service.load_project).

For other domains (prompts, MCP server, pipeline):
    current_plan(db, project_id) -> (PlanVersionRow, Plan) | None
    list_tasks(db, project_id) -> list[TaskView]
    get_task(db, project_id, task_id) -> TaskDetail           (task, status, verification, history)
    next_task(db, project_id) -> TaskView | None
    set_task_status(db, project_id, task_id, status, *, actor_id, note=None) -> TaskDetail
    report_task_done(db, project_id, task_id, *, actor_id, note=None) -> Verification  (accepted, reasons, ...)
and, for a done report that syncs the repository first: verification.verify_and_report_done(session_factory, ...).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core.db import utcnow
from trellis.core.errors import Conflict, InvalidInput, NotFound
from trellis.planning import graph
from trellis.planning.diff import diff_plans
from trellis.planning.models import PlanVersionRow, TaskState, TaskStatusEvent
from trellis.planning.planner import PLANNER_VERSION, PlanInput, plan_project, requirements_hash, validation_hash
from trellis.planning.types import TASK_STATUSES, Plan, PlannedTask
from trellis.planning.verification import Verification, current_snapshot, verify_task
from trellis.projects import service as projects_service
from trellis.projects.models import Project
from trellis.projects.service import ProjectAccess
from trellis.projects.state_machine import ProjectStatus

# Task statuses can change while the plan is being worked on; before a plan exists or once DONE they cannot.
TRACKING_STATES = frozenset({ProjectStatus.PLANNING, ProjectStatus.PROMPTS_READY, ProjectStatus.EXECUTING})
PLANNING_STATES = frozenset({ProjectStatus.PLAN_READY, ProjectStatus.PLANNING})


class PlanNotFound(NotFound):
    code = "plan_not_found"


class PlanVersionNotFound(NotFound):
    code = "plan_version_not_found"


class TaskNotFound(NotFound):
    code = "task_not_found"


class PlanLocked(Conflict):
    code = "plan_locked"


class TrackingNotAllowed(Conflict):
    code = "project_not_executing"


@dataclass(frozen=True)
class TaskView:
    task: PlannedTask
    status: str
    verification: dict[str, Any] | None
    updated_at: datetime | None
    ready: bool  # pending and every dependency done
    parallel_now: bool  # ready and writes no file another ready task writes


@dataclass(frozen=True)
class TaskDetail:
    task: PlannedTask
    status: str
    verification: dict[str, Any] | None
    plan_version: int
    history: list[TaskStatusEvent]


# ---------------------------------------------------------------- plans


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
        raise PlanLocked(
            f"Plans are made in PLAN_READY or PLANNING; the project is {status.value}. "
            + (
                "Block it and revise_plan to change an approved plan."
                if status in (ProjectStatus.PROMPTS_READY, ProjectStatus.EXECUTING)
                else "Approve the code validation first (approve_validation)."
            ),
            current_state=status.value,
        )
    from trellis.validation import service as validation_service

    inputs, analysis = plan_inputs(db, project.id)
    run = validation_service.latest_completed_run(db, project_id=project.id)
    report = run.report if run is not None else None
    req_hash, val_hash = requirements_hash(inputs), validation_hash(report) or "none"
    if status is ProjectStatus.PLAN_READY:
        projects_service.apply_transition(db, target=target, action="start_planning", correlation_id=correlation_id)
    existing = _find_version(db, project.id, req_hash, val_hash)
    if existing is not None:
        existing.times_requested += 1
        existing.last_requested_at = utcnow()
        return existing, Plan.from_dict(existing.body), False
    plan = plan_project(inputs, analysis, report, seed=seed)
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
        return raced, Plan.from_dict(raced.body), False
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
    return None if row is None else (row, Plan.from_dict(row.body))


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
    return {"from": from_version, "to": to_version, **diff_plans(Plan.from_dict(old.body), Plan.from_dict(new.body))}


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


def check_tasks_done(db: Session, *, project_id: uuid.UUID) -> dict[str, Any]:
    """The gateway's TASKS_DONE guard (EXECUTING -> DONE): every task of the current plan is done (verified)."""
    if current_plan(db, project_id) is None:
        raise projects_service.GuardFailed("This project has no plan, so no task is done.", guard="tasks_done")
    views = list_tasks(db, project_id)
    left = [f"{v.task.id} ({v.status})" for v in views if v.status != "done"]
    if left:
        raise projects_service.GuardFailed(
            f"{len(left)} of {len(views)} task(s) are not done: "
            + ", ".join(left[:10])
            + ("…" if len(left) > 10 else ""),
            guard="tasks_done",
            not_done=len(left),
        )
    return {"tasks_done": len(views)}


# ---------------------------------------------------------------- tasks


def _states(db: Session, project_id: uuid.UUID) -> dict[str, TaskState]:
    return {r.task_id: r for r in db.scalars(select(TaskState).where(TaskState.project_id == project_id))}


def list_tasks(db: Session, project_id: uuid.UUID) -> list[TaskView]:
    """The current plan's tasks in plan order, with status and whether each can start now."""
    _, plan = require_plan(db, project_id)
    states = _states(db, project_id)
    status = {t.id: (states[t.id].status if t.id in states else "pending") for t in plan.tasks}
    ready = [t.id for t in plan.tasks if status[t.id] == "pending" and all(status[d] == "done" for d in t.depends_on)]
    writes = {t.id: [f.path for f in t.files if f.action != "reference"] for t in plan.tasks}
    parallel = graph.parallel_now(ready, writes)
    views = []
    for task in plan.tasks:
        state = states.get(task.id)
        views.append(
            TaskView(
                task,
                status[task.id],
                state.verification if state else None,
                state.updated_at if state else None,
                task.id in ready,
                task.id in parallel,
            )
        )
    return views


def get_task(db: Session, project_id: uuid.UUID, task_id: str) -> TaskDetail:
    row, plan = require_plan(db, project_id)
    task = plan.task(task_id)
    if task is None:
        raise TaskNotFound(f"Task {task_id} is not in plan version {row.version}.", task_id=task_id)
    state = _states(db, project_id).get(task_id)
    history = list(
        db.scalars(
            select(TaskStatusEvent)
            .where(TaskStatusEvent.project_id == project_id, TaskStatusEvent.task_id == task_id)
            .order_by(TaskStatusEvent.created_at, TaskStatusEvent.id)
        )
    )
    return TaskDetail(
        task, state.status if state else "pending", state.verification if state else None, row.version, history
    )


def next_task(db: Session, project_id: uuid.UUID) -> TaskView | None:
    """In-progress work first, then pending tasks whose dependencies are done: by priority, fewest dependencies, id."""
    views = list_tasks(db, project_id)

    def order(view: TaskView) -> tuple[int, int, str]:
        return (view.task.priority, len(view.task.depends_on), view.task.id)

    for pool in ([v for v in views if v.status == "in_progress"], [v for v in views if v.ready]):
        if pool:
            return min(pool, key=order)
    return None


def ensure_tracking_allowed(db: Session, project_id: uuid.UUID) -> Project:
    project = db.get(Project, project_id)
    if project is None:
        raise projects_service.ProjectNotFound(f"Project {project_id} does not exist.", project_id=str(project_id))
    if ProjectStatus(project.status) not in TRACKING_STATES:
        raise TrackingNotAllowed(
            f"Task statuses change while the project is PLANNING, PROMPTS_READY or EXECUTING; it is {project.status}.",
            current_state=project.status,
        )
    return project


def _change(
    db: Session,
    project: Project,
    task_id: str,
    status: str,
    *,
    actor_id: uuid.UUID | None,
    note: str | None,
    verification: dict[str, Any] | None = None,
    action: str = "task.status_changed",
) -> None:
    state = _states(db, project.id).get(task_id)
    if state is None:  # planned before tracking existed for it: start from pending
        found = current_plan(db, project.id)
        key = found[1].task(task_id).key if found and found[1].task(task_id) else task_id  # type: ignore[union-attr]
        state = TaskState(
            project_id=project.id, task_id=task_id, task_key=key, plan_version=found[0].version if found else 0
        )
        state.status = "pending"
        db.add(state)
    previous = state.status
    state.status, state.updated_by, state.updated_at = status, actor_id, utcnow()
    if verification is not None:
        state.verification = verification
    db.add(TaskStatusEvent(project_id=project.id, task_id=task_id, from_status=previous, to_status=status,
                           actor_id=actor_id, note=note, verification=verification))  # fmt: skip
    audit_service.record(
        db,
        action=action,
        user_id=actor_id,
        workspace_id=project.workspace_id,
        resource_type="project",
        resource_id=project.id,
        from_state=previous,
        to_state=status,
        metadata={"task_id": task_id, "note": note, **({"accepted": verification["accepted"]} if verification else {})},
    )


def set_task_status(
    db: Session,
    project_id: uuid.UUID,
    task_id: str,
    status: str,
    *,
    actor_id: uuid.UUID | None,
    note: str | None = None,
) -> TaskDetail:
    """pending, in_progress, review or blocked; `done` only through report_task_done (it has to be verified)."""
    if status not in TASK_STATUSES:
        raise InvalidInput(
            f"Unknown task status {status!r}; use one of {', '.join(TASK_STATUSES)}.", code="invalid_status"
        )
    if status == "done":
        raise InvalidInput(
            "A task becomes done only when Trellis has verified it: report it done "
            "(POST /api/v1/projects/{id}/tasks/{task_id}/done).",
            code="verification_required",
        )
    project = ensure_tracking_allowed(db, project_id)
    detail = get_task(db, project_id, task_id)
    if detail.status != status or note:
        _change(db, project, task_id, status, actor_id=actor_id, note=note)
    return get_task(db, project_id, task_id)


def report_task_done(
    db: Session,
    project_id: uuid.UUID,
    task_id: str,
    *,
    actor_id: uuid.UUID | None,
    note: str | None = None,
    verification: Verification | None = None,
) -> Verification:
    """Verify the task (against the clone as it is, unless the caller passes a verification made after a sync) and
    record it: accepted -> done, otherwise -> review with the reasons. Both are kept in the task's history."""
    project = ensure_tracking_allowed(db, project_id)
    detail = get_task(db, project_id, task_id)
    if verification is None:
        statuses = {view.task.id: view.status for view in list_tasks(db, project_id)}
        verification = verify_task(detail.task, current_snapshot(db, project_id=project_id), statuses)
    to = "done" if verification.accepted else "review"
    _change(db, project, task_id, to, actor_id=actor_id, note=note, verification=verification.as_dict(),
            action="task.reported_done")  # fmt: skip
    return verification
