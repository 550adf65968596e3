"""`/api/v1/workspaces/{workspace_id}/credentials`: store, list, inspect and delete workspace secrets.

No route ever returns a stored value: responses carry the masked hint only.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from trellis.core.db import Db, ReadDb
from trellis.core.key_providers import key_provider_for
from trellis.credentials import service
from trellis.credentials.models import CredentialKind
from trellis.credentials.schemas import CredentialCreate, CredentialList, CredentialRead
from trellis.workspaces.dependencies import workspace_access
from trellis.workspaces.permissions import Permission
from trellis.workspaces.service import WorkspaceAccess

router = APIRouter(prefix="/workspaces/{workspace_id}/credentials", tags=["credentials"])

CanRead = Annotated[WorkspaceAccess, Depends(workspace_access(Permission.READ))]
CanManage = Annotated[WorkspaceAccess, Depends(workspace_access(Permission.MANAGE_SETTINGS))]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such workspace (or not a member), or no such credential in it."}
}


@router.post(
    "",
    response_model=CredentialRead,
    status_code=201,
    responses={
        **_NOT_FOUND,
        403: {"description": "Only owners and admins manage credentials."},
        409: {"description": "The workspace has a credential of that name."},
    },
)
async def create_credential(
    body: CredentialCreate, access: CanManage, request: Request, response: Response, db: Db
) -> CredentialRead:
    """Store a secret, encrypted. The response shows only its masked hint (`ghp_...cdef`)."""
    key_provider = key_provider_for(request.app.state.settings)
    created = await db.run(
        lambda db_session: service.create_credential(
            db_session,
            workspace_id=access.workspace_id,
            data=body,
            created_by=access.user_id,
            key_provider=key_provider,
        )
    )
    response.headers["Location"] = f"/api/v1/workspaces/{access.workspace_id}/credentials/{created.id}"
    return created


@router.get("", response_model=CredentialList, responses=_NOT_FOUND)
async def list_credentials(
    access: CanRead,
    db: ReadDb,
    kind: CredentialKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CredentialList:
    return await db.run(
        lambda db_session: service.list_credentials(
            db_session, workspace_id=access.workspace_id, kind=kind, limit=limit, offset=offset
        )
    )


@router.get("/{credential_id}", response_model=CredentialRead, responses=_NOT_FOUND)
async def read_credential(credential_id: uuid.UUID, access: CanRead, db: ReadDb) -> CredentialRead:
    return await db.run(
        lambda db_session: service.get_credential(
            db_session, workspace_id=access.workspace_id, credential_id=credential_id
        )
    )


@router.delete(
    "/{credential_id}",
    status_code=204,
    response_class=Response,
    responses={**_NOT_FOUND, 403: {"description": "Only owners and admins manage credentials."}},
)
async def delete_credential(credential_id: uuid.UUID, access: CanManage, db: Db) -> Response:
    await db.run(
        lambda db_session: service.delete_credential(
            db_session, workspace_id=access.workspace_id, credential_id=credential_id, deleted_by=access.user_id
        )
    )
    return Response(status_code=204)
