"""Workflows (seed 004): CRUD, status, duplicate, versions with diff and restore, import/export,
webhook secret; and the node type catalogue with each type's config schema."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import Db, ReadDb
from trellis.engine.nodes import NODE_TYPES
from trellis.workflows import service
from trellis.workflows.schemas import (
    NodeTypeRead,
    WebhookInfo,
    WorkflowCreate,
    WorkflowExport,
    WorkflowImport,
    WorkflowList,
    WorkflowRead,
    WorkflowStatusChange,
    WorkflowUpdate,
    WorkflowVersionList,
    WorkflowVersionRead,
)
from trellis.workspaces.permissions import Permission

router = APIRouter(tags=["workflows"])


def _content(body: WorkflowCreate | WorkflowUpdate | WorkflowExport) -> dict[str, Any]:
    return body.model_dump(include={"name", "description", "nodes", "connections", "settings", "tags"})


@router.get("/node-types", response_model=list[NodeTypeRead])
async def node_types() -> list[NodeTypeRead]:
    return [
        NodeTypeRead(
            type=t.type,
            category=t.category,
            description=t.description,
            handles=list(t.handles),
            dynamic_handles=t.dynamic_handles is not None,
            is_trigger=t.is_trigger,
            min_inputs=t.min_inputs,
            side_effects=t.side_effects,
            config_schema=t.config_schema(),
        )
        for t in NODE_TYPES.values()
    ]


@router.post("/workflows", response_model=WorkflowRead, status_code=201)
async def create_workflow(body: WorkflowCreate, principal: CurrentPrincipal, db: Db) -> WorkflowRead:
    return await db.run(
        lambda s: WorkflowRead.model_validate(
            service.create_workflow(
                s, principal=principal, workspace_id=body.workspace_id, content=_content(body), is_public=body.is_public
            )
        )
    )


@router.post("/workflows/import", response_model=WorkflowRead, status_code=201)
async def import_workflow(body: WorkflowImport, principal: CurrentPrincipal, db: Db) -> WorkflowRead:
    return await db.run(
        lambda s: WorkflowRead.model_validate(
            service.create_workflow(
                s, principal=principal, workspace_id=body.workspace_id, content=_content(body), change_note="imported"
            )
        )
    )


@router.get("/workflows", response_model=WorkflowList)
async def list_workflows(
    principal: CurrentPrincipal,
    db: ReadDb,
    status: str | None = Query(None, pattern="^(draft|published|archived)$"),
    tag: str | None = Query(None, max_length=100),
    search: str | None = Query(None, max_length=200),
    workspace_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WorkflowList:
    def load(s: Session) -> WorkflowList:
        rows, total = service.list_workflows(
            s,
            principal=principal,
            workspace_id=workspace_id,
            status=status,
            tag=tag,
            search=search,
            limit=limit,
            offset=offset,
        )
        return WorkflowList(
            items=[WorkflowRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )

    return await db.run(load)


@router.get("/workflows/{workflow_id}", response_model=WorkflowRead)
async def read_workflow(workflow_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> WorkflowRead:
    return await db.run(
        lambda s: WorkflowRead.model_validate(_load(s, principal, workflow_id, Permission.READ).workflow)
    )


@router.put("/workflows/{workflow_id}", response_model=WorkflowRead)
async def update_workflow(
    workflow_id: uuid.UUID, body: WorkflowUpdate, principal: CurrentPrincipal, db: Db
) -> WorkflowRead:
    return await db.run(
        lambda s: WorkflowRead.model_validate(
            service.update_workflow(
                s,
                target=_load(s, principal, workflow_id, Permission.WRITE),
                content=_content(body),
                change_note=body.change_note,
            )
        )
    )


@router.delete("/workflows/{workflow_id}", status_code=204)
async def delete_workflow(workflow_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> Response:
    await db.run(lambda s: service.delete_workflow(s, target=_load(s, principal, workflow_id, Permission.WRITE)))
    return Response(status_code=204)


@router.patch("/workflows/{workflow_id}/status", response_model=WorkflowRead)
async def change_status(
    workflow_id: uuid.UUID, body: WorkflowStatusChange, principal: CurrentPrincipal, db: Db
) -> WorkflowRead:
    return await db.run(
        lambda s: WorkflowRead.model_validate(
            service.set_status(s, target=_load(s, principal, workflow_id, Permission.WRITE), status=body.status)
        )
    )


@router.post("/workflows/{workflow_id}/duplicate", response_model=WorkflowRead, status_code=201)
async def duplicate_workflow(workflow_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> WorkflowRead:
    return await db.run(
        lambda s: WorkflowRead.model_validate(
            service.duplicate_workflow(s, target=_load(s, principal, workflow_id, Permission.WRITE))
        )
    )


@router.get("/workflows/{workflow_id}/versions", response_model=WorkflowVersionList)
async def list_versions(workflow_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> WorkflowVersionList:
    def load(s: Session) -> WorkflowVersionList:
        rows = service.list_versions(s, target=_load(s, principal, workflow_id, Permission.READ))
        return WorkflowVersionList(items=[WorkflowVersionRead.model_validate(r) for r in rows], total=len(rows))

    return await db.run(load)


@router.get("/workflows/{workflow_id}/versions/{version}", response_model=WorkflowVersionRead)
async def read_version(
    workflow_id: uuid.UUID, version: int, principal: CurrentPrincipal, db: ReadDb
) -> WorkflowVersionRead:
    def load(s: Session) -> WorkflowVersionRead:
        _load(s, principal, workflow_id, Permission.READ)
        return WorkflowVersionRead.model_validate(service.get_version(s, workflow_id=workflow_id, version=version))

    return await db.run(load)


@router.get("/workflows/{workflow_id}/diff")
async def diff_versions(
    workflow_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ReadDb,
    from_version: Annotated[int, Query(alias="from", ge=1)],
    to_version: Annotated[int, Query(alias="to", ge=1)],
) -> dict[str, Any]:
    return await db.run(
        lambda s: service.diff(
            s,
            target=_load(s, principal, workflow_id, Permission.READ),
            from_version=from_version,
            to_version=to_version,
        )
    )


@router.post("/workflows/{workflow_id}/versions/{version}/restore", response_model=WorkflowRead)
async def restore_version(workflow_id: uuid.UUID, version: int, principal: CurrentPrincipal, db: Db) -> WorkflowRead:
    return await db.run(
        lambda s: WorkflowRead.model_validate(
            service.restore_version(s, target=_load(s, principal, workflow_id, Permission.WRITE), version=version)
        )
    )


@router.get("/workflows/{workflow_id}/export", response_model=WorkflowExport)
async def export_workflow(workflow_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> WorkflowExport:
    return await db.run(
        lambda s: WorkflowExport.model_validate(
            service.export_workflow(_load(s, principal, workflow_id, Permission.READ))
        )
    )


@router.post("/workflows/{workflow_id}/webhook", response_model=WebhookInfo)
async def webhook_info(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, db: Db, rotate: bool = False
) -> WebhookInfo:
    """The webhook URLs and signing secret (created on first call; `?rotate=true` replaces it). Editors only."""

    def load(s: Session) -> WebhookInfo:
        target = _load(s, principal, workflow_id, Permission.WRITE)
        secret = service.webhook_secret(s, target=target, rotate=rotate)
        urls = {
            node["id"]: f"/api/v1/hooks/{workflow_id}/{node['id']}"
            for node in target.workflow.nodes
            if node.get("type") == "webhook"
        }
        return WebhookInfo(urls=urls, secret=secret)

    return await db.run(load)


def _load(s: Session, principal: Any, workflow_id: uuid.UUID, permission: Permission) -> service.WorkflowAccess:
    return service.load_workflow(s, principal=principal, workflow_id=workflow_id, permission=permission)
