"""`workspace_access(permission)`: load the caller's membership of `{workspace_id}` and check it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import ReadDb
from trellis.workspaces import service
from trellis.workspaces.permissions import Permission
from trellis.workspaces.service import WorkspaceAccess


def workspace_access(permission: Permission) -> Callable[..., Awaitable[WorkspaceAccess]]:
    """404 when the caller is not a member (outsiders learn nothing), 403 when the role falls short."""

    async def dependency(workspace_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> WorkspaceAccess:
        return await db.run(
            lambda db_session: service.authorize(
                db_session, principal=principal, workspace_id=workspace_id, permission=permission
            )
        )

    return dependency
