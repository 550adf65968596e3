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

from sqlalchemy import select
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core.db import utcnow
from trellis.core.errors import Conflict, InvalidInput, NotFound
from trellis.planning import graph
from trellis.planning.models import PlanVersionRow, TaskState, TaskStatusEvent
from trellis.planning.plans import (  # re-exported: the other domains use them from here
    PLANNING_STATES,
    PlanLocked,
    PlanNotFound,
    PlanVersionNotFound,
    check_plan_complete,
    current_plan,
    diff_versions,
    generate_plan,
    get_version,
    list_versions,
    plan_inputs,
    plan_of,
    require_plan,
)
from trellis.planning.types import TASK_STATUSES, PlannedTask
from trellis.planning.verification import Verification, current_snapshot, verify_task
from trellis.projects import service as projects_service
from trellis.projects.models import Project
from trellis.projects.state_machine import ProjectStatus

__all__ = [
    "PLANNING_STATES",
    "TRACKING_STATES",
    "PlanLocked",
    "PlanNotFound",
    "PlanVersionNotFound",
    "PlanVersionRow",
    "TaskDetail",
    "TaskNotFound",
    "TaskView",
    "TrackingNotAllowed",
    "check_plan_complete",
    "check_tasks_done",
    "current_plan",
    "diff_versions",
    "ensure_tracking_allowed",
    "generate_plan",
    "get_task",
    "get_version",
    "list_tasks",
    "list_versions",
    "next_task",
    "plan_inputs",
    "plan_of",
    "report_task_done",
    "require_plan",
    "set_task_status",
    "unresolved_findings",
]

# Task statuses can change while the plan is being worked on; before a plan exists or once DONE they cannot.
TRACKING_STATES = frozenset({ProjectStatus.PLANNING, ProjectStatus.PROMPTS_READY, ProjectStatus.EXECUTING})


class TaskNotFound(NotFound):
    code = "task_not_found"


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


def unresolved_findings(db: Session, project_id: uuid.UUID) -> dict[str, list[str]]:
    """The categories of findings that still block building each requirement as written (current versions)."""
    from trellis.planning.profile import blocking_categories
    from trellis.requirements import service as requirements_service

    requirements = requirements_service.list_requirements(db, project_id=project_id)
    analysis = requirements_service.analyze_requirements(requirements)
    with_criteria = {r.code for r in requirements_service.as_inputs(requirements) if r.acceptance_criteria}
    found: dict[str, list[tuple[str, str]]] = {}
    for result in analysis.requirements:
        found[result.code] = [(f.category, f.field) for f in result.findings]
    for finding in analysis.findings:
        for code in finding.codes:
            found.setdefault(code, []).append((finding.category, "project"))
    return {code: blocking_categories(pairs, has_criteria=code in with_criteria) for code, pairs in found.items()}


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
        snapshot = current_snapshot(db, project_id=project_id)
        verification = verify_task(detail.task, snapshot, statuses, unresolved_findings(db, project_id))
    to = "done" if verification.accepted else "review"
    _change(db, project, task_id, to, actor_id=actor_id, note=note, verification=verification.as_dict(),
            action="task.reported_done")  # fmt: skip
    return verification
