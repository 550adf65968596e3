"""Projects (seed 000): CRUD, status, audit trail, and the gateway for state transitions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from trellis.audit.schemas import AuditRecordRead
from trellis.auth.dependencies import CurrentPrincipal
from trellis.auth.service import Principal
from trellis.core.db import Db, ReadDb
from trellis.projects import service
from trellis.projects.schemas import (
    GatewayRequest,
    GatewayResponse,
    ProjectAudit,
    ProjectCreate,
    ProjectList,
    ProjectRead,
    ProjectStatusRead,
    ProjectUpdate,
)
from trellis.workspaces.permissions import Permission

router = APIRouter(tags=["projects"])


@router.post("/projects", response_model=ProjectRead, status_code=201)
async def create_project(body: ProjectCreate, principal: CurrentPrincipal, db: Db) -> ProjectRead:
    metadata = {**body.metadata, **({"repository_url": body.repository_url} if body.repository_url else {})}
    return await db.run(
        lambda s: ProjectRead.model_validate(
            service.create_project(
                s,
                principal=principal,
                workspace_id=body.workspace_id,
                name=body.name,
                description=body.description,
                metadata=metadata,
            )
        )
    )


@router.get("/projects", response_model=ProjectList)
async def list_projects(
    principal: CurrentPrincipal,
    db: ReadDb,
    workspace_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ProjectList:
    def load(s: Session) -> ProjectList:
        projects, total = service.list_projects(
            s, principal=principal, workspace_id=workspace_id, limit=limit, offset=offset
        )
        return ProjectList(
            items=[ProjectRead.model_validate(p) for p in projects], total=total, limit=limit, offset=offset
        )

    return await db.run(load)


@router.get("/projects/{project_id}", response_model=ProjectRead)
async def read_project(project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> ProjectRead:
    return await db.run(
        lambda s: ProjectRead.model_validate(
            service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ).project
        )
    )


@router.patch("/projects/{project_id}", response_model=ProjectRead)
async def update_project(
    project_id: uuid.UUID, body: ProjectUpdate, principal: CurrentPrincipal, db: Db
) -> ProjectRead:
    changes = body.model_dump(exclude_unset=True)
    return await db.run(
        lambda s: ProjectRead.model_validate(
            service.update_project(
                s,
                target=service.load_project(s, principal=principal, project_id=project_id, permission=Permission.WRITE),
                changes=changes,
            )
        )
    )


@router.delete("/projects/{project_id}", status_code=204)
async def delete_project(project_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> Response:
    await db.run(
        lambda s: service.delete_project(
            s, target=service.load_project(s, principal=principal, project_id=project_id, permission=Permission.WRITE)
        )
    )
    return Response(status_code=204)


def _gateway(s: Session, principal: Principal, project_id: uuid.UUID, body: GatewayRequest) -> GatewayResponse:
    target = service.load_project(s, principal=principal, project_id=project_id, permission=Permission.WRITE)
    result = service.apply_transition(
        s,
        target=target,
        action=body.action,
        correlation_id=body.correlation_id,
        request_id=body.request_id,
        force=body.force,
        reason=body.reason,
    )
    return GatewayResponse(
        project_id=result.project_id,
        action=result.action,
        from_state=result.from_state,
        to_state=result.to_state,
        status=result.to_state,
        correlation_id=result.correlation_id,
        request_id=result.request_id,
        allowed_actions=result.allowed_actions,
        details=result.details,
    )


@router.post("/requirements/{project_id}/gateway", response_model=GatewayResponse)
async def requirements_gateway(
    project_id: uuid.UUID, body: GatewayRequest, principal: CurrentPrincipal, db: Db
) -> GatewayResponse:
    """Seed 000's gateway (the id is the project's). A repeated `request_id` replays the first result."""
    return await db.run(lambda s: _gateway(s, principal, project_id, body))


@router.post("/projects/{project_id}/gateway", response_model=GatewayResponse)
async def project_gateway(
    project_id: uuid.UUID, body: GatewayRequest, principal: CurrentPrincipal, db: Db
) -> GatewayResponse:
    """The same gateway under the project's own path."""
    return await db.run(lambda s: _gateway(s, principal, project_id, body))


@router.get("/projects/{project_id}/status", response_model=ProjectStatusRead)
async def project_status(project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> ProjectStatusRead:
    """State, the actions allowed now, requirement scores and findings, and the refinement session."""
    return await db.run(
        lambda s: ProjectStatusRead(
            **service.project_status(
                s,
                target=service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ),
            )
        )
    )


@router.get("/projects/{project_id}/audit", response_model=ProjectAudit)
async def project_audit(
    project_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ReadDb,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ProjectAudit:
    def load(s: Session) -> ProjectAudit:
        target = service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        records, total = service.project_audit(s, target=target, limit=limit, offset=offset)
        return ProjectAudit(
            items=[AuditRecordRead.model_validate(r) for r in records], total=total, limit=limit, offset=offset
        )

    return await db.run(load)
