"""Seed 000's planning endpoints and execution tracking: POST/GET /projects/{id}/plan, versions and diff, tasks,
next task, status changes, and done reports that Trellis verifies against the repository."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import Db, ReadDb
from trellis.core.errors import InvalidInput
from trellis.planning import service, verification
from trellis.planning import traceability as trace
from trellis.planning.models import PlanVersionRow
from trellis.planning.schemas import (
    DoneOutcome,
    NextTask,
    PlanRead,
    PlanRequest,
    PlanVersionList,
    PlanVersionSummary,
    TaskDetailRead,
    TaskDoneReport,
    TaskEventRead,
    TaskList,
    TaskRead,
    TaskStatusUpdate,
)
from trellis.planning.types import TASK_STATUSES, Plan, PlannedTask
from trellis.projects import service as projects_service
from trellis.workspaces.permissions import Permission

router = APIRouter(tags=["planning"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Viewer role: reading only."},
    404: {"description": "No such project (or not a member), no plan yet, or no such task."},
    409: {"description": "`plan_locked`, `project_not_executing`, or a gateway refusal."},
    422: {"description": "`dependency_cycle`, `no_requirements`, `invalid_status`, `verification_required`."},
}


def _summary(row: PlanVersionRow) -> dict[str, Any]:
    return {
        **{name: getattr(row, name) for name in PlanVersionSummary.model_fields if name != "validation_hash"},
        "validation_hash": None if row.validation_hash == "none" else row.validation_hash,
    }


def _plan_read(row: PlanVersionRow, plan: Plan, project_status: str, *, created: bool) -> PlanRead:
    return PlanRead(
        **_summary(row), project_id=row.project_id, project_status=project_status, created=created, plan=plan.as_dict()
    )


def task_fields(task: PlannedTask) -> dict[str, Any]:
    data = asdict(task)
    data["risks"] = [{**asdict(risk), "score": risk.score} for risk in task.risks]
    return data


def _task_read(view: service.TaskView) -> TaskRead:
    return TaskRead(
        **task_fields(view.task),
        status=view.status,
        ready=view.ready,
        parallel_now=view.parallel_now,
        verification=view.verification,
        updated_at=view.updated_at,
    )


def _detail_read(s: Session, project_id: uuid.UUID, detail: service.TaskDetail) -> TaskDetailRead:
    view = next(v for v in service.list_tasks(s, project_id) if v.task.id == detail.task.id)
    return TaskDetailRead(
        **_task_read(view).model_dump(),
        plan_version=detail.plan_version,
        history=[TaskEventRead.model_validate(event, from_attributes=True) for event in detail.history],
    )


@router.post("/projects/{project_id}/plan", response_model=PlanRead, status_code=201, responses=_ERRORS)
async def create_plan(
    project_id: uuid.UUID, principal: CurrentPrincipal, db: Db, response: Response, body: PlanRequest | None = None
) -> PlanRead:
    """Plan the project's requirements against its latest code validation. PLAN_READY moves to PLANNING. The same
    requirements and validation return the stored version (200); new inputs make the next version (201)."""
    request = body or PlanRequest()

    def work(s: Session) -> PlanRead:
        target = projects_service.load_project(
            s, principal=principal, project_id=project_id, permission=Permission.WRITE
        )
        row, plan, created = service.generate_plan(
            s, target=target, seed=request.seed, correlation_id=request.correlation_id
        )
        return _plan_read(row, plan, target.project.status, created=created)

    result = await db.run(work)
    response.status_code = 201 if result.created else 200
    return result


@router.get("/projects/{project_id}/plan", response_model=PlanRead, responses=_ERRORS)
async def read_plan(
    project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb, version: Annotated[int | None, Query(ge=1)] = None
) -> PlanRead:
    """The current (latest) plan version, or `?version=N`."""

    def work(s: Session) -> PlanRead:
        target = projects_service.load_project(
            s, principal=principal, project_id=project_id, permission=Permission.READ
        )
        if version is None:
            row, plan = service.require_plan(s, project_id)
        else:
            row = service.get_version(s, project_id, version)
            plan = service.plan_of(row)
        return _plan_read(row, plan, target.project.status, created=False)

    return await db.run(work)


@router.get("/projects/{project_id}/plan/versions", response_model=PlanVersionList, responses=_ERRORS)
async def plan_versions(project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> PlanVersionList:
    def work(s: Session) -> PlanVersionList:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        rows = service.list_versions(s, project_id)
        return PlanVersionList(items=[PlanVersionSummary(**_summary(r)) for r in rows], total=len(rows))

    return await db.run(work)


@router.get("/projects/{project_id}/plan/diff", responses=_ERRORS)
async def plan_diff(
    project_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ReadDb,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> dict[str, Any]:
    """Tasks added, removed and changed (matched by what they are for, so renumbering shows as such), and totals.
    Defaults: `to` the latest version, `from` the one before it."""

    def work(s: Session) -> dict[str, Any]:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        latest = to_version or service.require_plan(s, project_id)[0].version
        return service.diff_versions(s, project_id, from_version or max(1, latest - 1), latest)

    return await db.run(work)


@router.get("/projects/{project_id}/tasks", response_model=TaskList, responses=_ERRORS)
async def list_tasks(
    project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb, status: str | None = None
) -> TaskList:
    def work(s: Session) -> TaskList:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        row, _ = service.require_plan(s, project_id)
        views = service.list_tasks(s, project_id)
        counts = {name: sum(v.status == name for v in views) for name in TASK_STATUSES}
        shown = [v for v in views if status is None or v.status == status]
        return TaskList(plan_version=row.version, items=[_task_read(v) for v in shown], total=len(shown), counts=counts)

    return await db.run(work)


@router.get("/projects/{project_id}/tasks/next", response_model=NextTask, responses=_ERRORS)
async def next_task(project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> NextTask:
    """In-progress work first, then pending tasks whose dependencies are done: by priority, fewest dependencies, id."""

    def work(s: Session) -> NextTask:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        view = service.next_task(s, project_id)
        if view is not None:
            why = "in progress" if view.status == "in_progress" else "ready: every dependency is done"
            return NextTask(task=_task_read(view), message=f"{view.task.id} ({why}).")
        views = service.list_tasks(s, project_id)
        if all(v.status == "done" for v in views):
            return NextTask(task=None, message="Every task is done.")
        waiting = ", ".join(f"{v.task.id} ({v.status})" for v in views if v.status in ("review", "blocked"))
        return NextTask(task=None, message=f"No task can start now; waiting on: {waiting or 'dependencies'}.")

    return await db.run(work)


@router.get("/projects/{project_id}/tasks/{task_id}", response_model=TaskDetailRead, responses=_ERRORS)
async def read_task(project_id: uuid.UUID, task_id: str, principal: CurrentPrincipal, db: ReadDb) -> TaskDetailRead:
    def work(s: Session) -> TaskDetailRead:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        return _detail_read(s, project_id, service.get_task(s, project_id, task_id))

    return await db.run(work)


@router.patch("/projects/{project_id}/tasks/{task_id}", response_model=TaskDetailRead, responses=_ERRORS)
async def update_task(
    project_id: uuid.UUID, task_id: str, body: TaskStatusUpdate, principal: CurrentPrincipal, db: Db
) -> TaskDetailRead:
    """Change a task's status with a note (kept in its history, audited). `done` needs a done report."""

    def work(s: Session) -> TaskDetailRead:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.WRITE)
        if body.status is None:
            raise InvalidInput("Send the new status: pending, in_progress, review or blocked.", code="invalid_status")
        detail = service.set_task_status(
            s, project_id, task_id, body.status, actor_id=principal.user_id, note=body.note
        )
        return _detail_read(s, project_id, detail)

    return await db.run(work)


@router.post("/projects/{project_id}/tasks/{task_id}/done", response_model=DoneOutcome, responses=_ERRORS)
async def report_done(
    project_id: uuid.UUID,
    task_id: str,
    principal: CurrentPrincipal,
    db: ReadDb,
    request: Request,
    body: TaskDoneReport | None = None,
) -> DoneOutcome:
    """Report a task done: Trellis syncs the repository, re-validates the task's requirements against it and checks
    the DoD items it can; accepted -> done, otherwise -> review with the reasons (both kept in the history)."""
    await db.run(
        lambda s: projects_service.load_project(
            s, principal=principal, project_id=project_id, permission=Permission.WRITE
        )
    )
    database = request.app.state.runtime.database
    note = (body or TaskDoneReport()).note
    outcome = await run_in_threadpool(
        lambda: verification.verify_and_report_done(
            database.session_factory,
            principal=principal,
            project_id=project_id,
            task_id=task_id,
            note=note,
            read_session_factory=database.read_session_factory,
        )
    )
    return DoneOutcome(
        task_id=task_id,
        status="done" if outcome.accepted else "review",
        accepted=outcome.accepted,
        reasons=outcome.reasons,
        verification=outcome.as_dict(),
    )


@router.get(
    "/projects/{project_id}/traceability",
    responses={**_ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def traceability(
    project_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ReadDb,
    request: Request,
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
    file: Annotated[str | None, Query(max_length=1000)] = None,
    task: Annotated[str | None, Query(max_length=20)] = None,
) -> Any:
    """Per requirement version: the Q&A answers that changed it, its findings, code evidence, tasks with status and
    verification, prompts. `?file=path` and `?task=T-001` give the reverse lookups; `?format=csv` (or
    `Accept: text/csv`) the matrix as CSV, one row per requirement version."""
    as_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))

    def work(s: Session) -> Any:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        matrix = trace.build_matrix(s, project_id)
        if task is not None:
            found = trace.for_task(matrix, task)
            if found is None:
                raise service.TaskNotFound(f"Task {task} is not in the current plan.", task_id=task)
            return found
        if file is not None:
            return trace.for_file(matrix, file)
        return trace.matrix_csv(matrix) if as_csv else matrix

    result = await db.run(work)
    if isinstance(result, str):
        return Response(
            result,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="traceability-{project_id}.csv"'},
        )
    return result
