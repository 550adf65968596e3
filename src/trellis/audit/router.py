"""`GET /api/v1/activity`: the audit trail of the caller's workspaces and of their own account."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from trellis.audit import service
from trellis.audit.schemas import AuditRecordList, AuditRecordRead
from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import ReadDb
from trellis.workspaces import service as workspaces_service
from trellis.workspaces.permissions import Permission

router = APIRouter(tags=["activity"])


@router.get("/activity", response_model=AuditRecordList)
async def activity(
    principal: CurrentPrincipal,
    db: ReadDb,
    workspace_id: uuid.UUID | None = None,
    action: Annotated[list[str] | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditRecordList:
    """With `workspace_id`: that workspace's activity (members only). Without: your own account's events."""

    def load(s):  # type: ignore[no-untyped-def]
        if workspace_id is not None:
            workspaces_service.authorize(s, principal=principal, workspace_id=workspace_id, permission=Permission.READ)
            records, total = service.list_records(
                s, workspace_ids=[workspace_id], actions=action, limit=limit, offset=offset
            )
        else:
            records, total = service.list_records(
                s, user_id=principal.user_id, actions=action, limit=limit, offset=offset
            )
        return AuditRecordList(
            items=[AuditRecordRead.model_validate(r) for r in records], total=total, limit=limit, offset=offset
        )

    return await db.run(load)
