"""`/prompt-templates` (workspace overrides with versions, preview) and `/projects/{id}/prompts` (seed 000)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from trellis.auth.dependencies import CurrentPrincipal
from trellis.auth.service import Principal
from trellis.core.db import Db, ReadDb
from trellis.projects import service as projects_service
from trellis.prompts import service
from trellis.prompts.exports import json_export, markdown_bundle, tasks_markdown
from trellis.prompts.schemas import (
    Category,
    PreviewRead,
    PreviewRequest,
    PromptGenerate,
    PromptRead,
    PromptSet,
    TemplateCreate,
    TemplateList,
    TemplateRead,
    TemplateUpdate,
)
from trellis.workspaces import service as workspaces_service
from trellis.workspaces.permissions import Permission

router = APIRouter(tags=["prompts"])

_TEMPLATE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Viewers read and preview only."},
    404: {"description": "No such workspace (or not a member), or no such template version."},
    422: {"description": "`template_invalid`: the template does not compile or render; `line` names where."},
}
_PROMPT_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Viewer role: reading only."},
    404: {"description": "No such project (or not a member), no plan, or no prompts generated yet."},
    422: {"description": "`template_invalid`: a workspace template does not render for this plan."},
}


def _workspace(s: Session, principal: Principal, workspace_id: uuid.UUID | None, permission: Permission) -> uuid.UUID:
    if workspace_id is None:
        workspace_id = workspaces_service.personal_workspace_id(s, user_id=principal.user_id)
    return workspaces_service.authorize(
        s, principal=principal, workspace_id=workspace_id, permission=permission
    ).workspace_id


def _template_for(s: Session, principal: Principal, template_id: uuid.UUID, permission: Permission) -> Any:
    row = service.get_template_version(s, template_id=template_id)
    missing = service.TemplateNotFound(f"Prompt template {template_id} does not exist.", template_id=str(template_id))
    workspaces_service.authorize(
        s, principal=principal, workspace_id=row.workspace_id, permission=permission, not_found=missing
    )
    return row


@router.post("/prompt-templates", response_model=TemplateRead, status_code=201, responses=_TEMPLATE_ERRORS)
async def create_template(
    body: TemplateCreate, principal: CurrentPrincipal, response: Response, db: Db
) -> TemplateRead:
    """Save a new version of the workspace's template for a category (it is used from now on)."""

    def run(s: Session) -> TemplateRead:
        workspace_id = _workspace(s, principal, body.workspace_id, Permission.WRITE)
        row = service.create_template_version(
            s,
            workspace_id=workspace_id,
            category=body.category,
            text=body.text,
            note=body.note,
            actor_id=principal.user_id,
        )
        return TemplateRead(**service.template_read(row))

    created = await db.run(run)
    response.headers["Location"] = f"/api/v1/prompt-templates/{created.id}"
    return created


@router.get("/prompt-templates", response_model=TemplateList, responses=_TEMPLATE_ERRORS)
async def list_templates(
    principal: CurrentPrincipal,
    db: ReadDb,
    workspace_id: uuid.UUID | None = None,
    category: Category | None = None,
    history: Annotated[bool, Query(description="Every stored version, not only the one in use.")] = False,
) -> TemplateList:
    def run(s: Session) -> TemplateList:
        ws = _workspace(s, principal, workspace_id, Permission.READ)
        items = [
            TemplateRead(**item)
            for item in service.list_templates(s, workspace_id=ws, category=category, history=history)
        ]
        return TemplateList(items=items, total=len(items))

    return await db.run(run)


@router.post("/prompt-templates/preview", response_model=PreviewRead, responses=_TEMPLATE_ERRORS)
async def preview_template(
    body: PreviewRequest, principal: CurrentPrincipal, request: Request, db: ReadDb
) -> PreviewRead:
    """Render a template (the given text, or the one in use) against a project's task or Trellis's sample plan."""
    budget = body.token_budget or request.app.state.settings.prompt_token_budget

    def run(s: Session) -> PreviewRead:
        project = None
        if body.project_id is not None:
            target = projects_service.load_project(
                s, principal=principal, project_id=body.project_id, permission=Permission.READ
            )
            workspace_id = target.project.workspace_id
            project = (target.project.id, target.project.name)
        else:
            workspace_id = _workspace(s, principal, body.workspace_id, Permission.READ)
        return PreviewRead(
            **service.preview(
                s,
                workspace_id=workspace_id,
                category=body.category,
                text=body.text,
                project=project,
                task_id=body.task_id,
                budget=budget,
            )
        )

    return await db.run(run)


@router.get("/prompt-templates/{template_id}", response_model=TemplateRead, responses=_TEMPLATE_ERRORS)
async def read_template(template_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> TemplateRead:
    return await db.run(
        lambda s: TemplateRead(**service.template_read(_template_for(s, principal, template_id, Permission.READ)))
    )


@router.put("/prompt-templates/{template_id}", response_model=TemplateRead, status_code=201, responses=_TEMPLATE_ERRORS)
async def update_template(
    template_id: uuid.UUID, body: TemplateUpdate, principal: CurrentPrincipal, response: Response, db: Db
) -> TemplateRead:
    """Edit: stores the text as the next version of the same category (earlier versions are kept)."""

    def run(s: Session) -> TemplateRead:
        old = _template_for(s, principal, template_id, Permission.WRITE)
        row = service.create_template_version(
            s,
            workspace_id=old.workspace_id,
            category=old.category,
            text=body.text,
            note=body.note,
            actor_id=principal.user_id,
        )
        return TemplateRead(**service.template_read(row))

    created = await db.run(run)
    response.headers["Location"] = f"/api/v1/prompt-templates/{created.id}"
    return created


@router.delete("/prompt-templates/{template_id}", status_code=204, response_class=Response, responses=_TEMPLATE_ERRORS)
async def delete_template(template_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> Response:
    """Delete a version; the category falls back to the previous version or the shipped template."""
    await db.run(
        lambda s: service.delete_template_version(
            s, row=_template_for(s, principal, template_id, Permission.WRITE), actor_id=principal.user_id
        )
    )
    return Response(status_code=204)


def _prompt_set(generation: service.PromptGeneration) -> PromptSet:
    items = [PromptRead.model_validate(row) for row in generation.rows]
    return PromptSet(
        project_id=generation.project_id,
        plan_version=generation.plan_version,
        generation_key=generation.key,
        created=generation.created,
        token_counter=service.counter_label(),
        template_versions={c: t.version for c, t in generation.templates.items()},
        items=items,
        total=len(items),
    )


@router.post("/projects/{project_id}/prompts", response_model=PromptSet, status_code=201, responses=_PROMPT_ERRORS)
async def generate_prompts(
    project_id: uuid.UUID,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
    read_db: ReadDb,
    db: Db,
    body: PromptGenerate | None = None,
) -> PromptSet:
    """Render every task's implementation, testing, review and documentation prompts for the current plan.
    Idempotent: the same plan version, template versions and budget return the stored prompts (200)."""
    budget = (body.token_budget if body else None) or request.app.state.settings.prompt_token_budget
    keep_sets = request.app.state.settings.prompt_sets_kept

    def prepare(s: Session) -> service.PromptGeneration | service.PendingGeneration:
        target = projects_service.load_project(
            s, principal=principal, project_id=project_id, permission=Permission.WRITE
        )
        return service.prepare_generation(
            s,
            project_id=project_id,
            workspace_id=target.project.workspace_id,
            project_name=target.project.name,
            budget=budget,
        )

    prepared = await read_db.run(prepare)
    if isinstance(prepared, service.PendingGeneration):
        pending = prepared
        # Rendering reads the clone's files and can take seconds on a large plan: no transaction is open meanwhile.
        rendered = await run_in_threadpool(pending.render)
        prepared = await db.run(
            lambda s: service.store_generation(
                s, pending=pending, rendered=rendered, actor_id=principal.user_id, keep_sets=keep_sets
            )
        )
    if not prepared.created:
        response.status_code = 200
    return _prompt_set(prepared)


@router.get("/projects/{project_id}/prompts", response_model=PromptSet, responses=_PROMPT_ERRORS)
async def list_prompts(
    project_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ReadDb,
    task_id: Annotated[str | None, Query(max_length=20)] = None,
    category: Category | None = None,
) -> PromptSet:
    """The prompts generated most recently for the current plan version."""

    def run(s: Session) -> PromptSet:
        target = projects_service.load_project(
            s, principal=principal, project_id=project_id, permission=Permission.READ
        )
        version, rows = service.latest_prompts(s, project_id=project_id, task_id=task_id, category=category)
        templates = {r.category: r.template_version for r in rows}
        items = [PromptRead.model_validate(r) for r in rows]
        key = rows[0].generation_key if rows else ""
        return PromptSet(
            project_id=target.project.id,
            plan_version=version,
            generation_key=key,
            created=False,
            token_counter=service.counter_label(),
            template_versions=templates,
            items=items,
            total=len(items),
        )

    return await db.run(run)


@router.get(
    "/projects/{project_id}/prompts/export",
    responses={**_PROMPT_ERRORS, 200: {"content": {"text/markdown": {}, "application/json": {}}}},
)
async def export_prompts(
    project_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ReadDb,
    format: Annotated[
        Literal["markdown", "json", "tasks"], Query(description="markdown bundle, JSON, or tasks.md")
    ] = "markdown",
) -> Response:
    """Download the prompts: one Markdown bundle, JSON, or a `tasks.md` checklist a coding agent can follow."""
    from trellis.planning import service as planning_service

    def run(s: Session) -> Response:
        target = projects_service.load_project(
            s, principal=principal, project_id=project_id, permission=Permission.READ
        )
        name = target.project.name
        version, rows = service.latest_prompts(s, project_id=project_id)
        plan = planning_service.require_plan(s, project_id)[1]
        statuses = {view.task.id: view.status for view in planning_service.list_tasks(s, project_id)}
        filename = f"{name}-plan-v{version}".replace('"', "").replace("/", "-")
        if format == "json":
            body = json_export(
                plan,
                service.rendered(rows),
                meta={"project_id": str(project_id), "project": name, "plan_version": version},
            )
            return Response(
                json.dumps(body, indent=2, ensure_ascii=False),
                media_type="application/json",
                headers={"Content-Disposition": f'attachment; filename="{filename}-prompts.json"'},
            )
        if format == "tasks":
            text = tasks_markdown(plan, title=f"{name} (plan version {version})", statuses=statuses)
            return Response(
                text,
                media_type="text/markdown; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}-tasks.md"'},
            )
        text = markdown_bundle(plan, service.rendered(rows), title=f"{name} (plan version {version})")
        return Response(
            text,
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}-prompts.md"'},
        )

    return await db.run(run)
