"""Workspaces, members and invitations (seed 004's collaboration API under /api/v1)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from trellis.auth.dependencies import CurrentPrincipal
from trellis.auth.service import Principal, UserProfile
from trellis.core.db import Db, ReadDb
from trellis.core.events import register_topic_authorizer
from trellis.core.runtime import current_runtime
from trellis.workspaces import service
from trellis.workspaces.dependencies import workspace_access
from trellis.workspaces.models import Invitation, Workspace, WorkspaceMember
from trellis.workspaces.permissions import Permission, Role
from trellis.workspaces.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationList,
    InvitationRead,
    MemberList,
    MemberRead,
    RoleChange,
    WorkspaceCreate,
    WorkspaceList,
    WorkspaceRead,
    WorkspaceUpdate,
)
from trellis.workspaces.service import WorkspaceAccess

router = APIRouter(tags=["workspaces"])

Reader = Annotated[WorkspaceAccess, Depends(workspace_access(Permission.READ))]
MemberManager = Annotated[WorkspaceAccess, Depends(workspace_access(Permission.MANAGE_MEMBERS))]
SettingsManager = Annotated[WorkspaceAccess, Depends(workspace_access(Permission.MANAGE_SETTINGS))]
Owner = Annotated[WorkspaceAccess, Depends(workspace_access(Permission.DELETE_WORKSPACE))]


def _workspace(workspace: Workspace, role: Role | None) -> WorkspaceRead:
    return WorkspaceRead.model_validate(workspace).model_copy(update={"role": role})


def _member(member: WorkspaceMember, profile: UserProfile) -> MemberRead:
    return MemberRead(
        user_id=member.user_id,
        email=profile.email,
        full_name=profile.full_name,
        role=Role(member.role),
        joined_at=member.joined_at,
    )


@router.get("/workspaces", response_model=WorkspaceList)
async def list_workspaces(principal: CurrentPrincipal, db: ReadDb) -> WorkspaceList:
    items = await db.run(
        lambda s: [_workspace(w, role) for w, role in service.list_workspaces(s, user_id=principal.user_id)]
    )
    return WorkspaceList(items=items, total=len(items))


@router.post("/workspaces", response_model=WorkspaceRead, status_code=201)
async def create_workspace(body: WorkspaceCreate, principal: CurrentPrincipal, db: Db) -> WorkspaceRead:
    return await db.run(
        lambda s: _workspace(
            service.create_workspace(s, principal=principal, name=body.name, description=body.description), Role.OWNER
        )
    )


@router.get("/workspaces/{workspace_id}", response_model=WorkspaceRead)
async def read_workspace(access: Reader, db: ReadDb) -> WorkspaceRead:
    return await db.run(lambda s: _workspace(service.get_workspace(s, access=access), access.role))


@router.patch("/workspaces/{workspace_id}", response_model=WorkspaceRead)
async def update_workspace(body: WorkspaceUpdate, access: SettingsManager, db: Db) -> WorkspaceRead:
    changes = body.model_dump(exclude_unset=True)
    return await db.run(lambda s: _workspace(service.update_workspace(s, access=access, changes=changes), access.role))


@router.delete("/workspaces/{workspace_id}", status_code=204)
async def delete_workspace(access: Owner, db: Db) -> Response:
    await db.run(lambda s: service.delete_workspace(s, access=access))
    return Response(status_code=204)


@router.get("/workspaces/{workspace_id}/members", response_model=MemberList)
async def list_members(access: Reader, db: ReadDb) -> MemberList:
    items = await db.run(lambda s: [_member(m, p) for m, p in service.list_members(s, access=access)])
    return MemberList(items=items, total=len(items))


@router.patch("/workspaces/{workspace_id}/members/{user_id}", response_model=RoleChange)
async def change_role(user_id: uuid.UUID, body: RoleChange, access: MemberManager, db: Db) -> RoleChange:
    member = await db.run(lambda s: service.change_role(s, access=access, user_id=user_id, role=body.role))
    return RoleChange(role=Role(member.role))


@router.delete("/workspaces/{workspace_id}/members/{user_id}", status_code=204)
async def remove_member(user_id: uuid.UUID, access: MemberManager, db: Db) -> Response:
    await db.run(lambda s: service.remove_member(s, access=access, user_id=user_id))
    return Response(status_code=204)


@router.post("/workspaces/{workspace_id}/leave", status_code=204)
async def leave_workspace(access: Reader, db: Db) -> Response:
    await db.run(lambda s: service.leave_workspace(s, access=access))
    return Response(status_code=204)


@router.post("/workspaces/{workspace_id}/invite", response_model=InvitationCreated, status_code=201)
async def invite(body: InvitationCreate, access: MemberManager, request: Request, db: Db) -> InvitationCreated:
    """Invite by email; the invitation (valid 7 days) can be accepted only by that address."""

    def create(s: Session) -> InvitationCreated:
        invitation, token = service.invite(s, access=access, email=body.email, role=body.role)
        workspace = service.get_workspace(s, access=access)
        read = InvitationRead.model_validate(invitation).model_copy(update={"workspace_name": workspace.name})
        return InvitationCreated(**read.model_dump(), token=token)

    created = await db.run(create)
    runtime = request.app.state.runtime
    await runtime.mailer.send(
        service.invitation_mail(
            email=created.email,
            workspace_name=created.workspace_name or "",
            role=created.role,
            token=created.token,
            base_url=runtime.settings.base_url,
        )
    )
    return created


@router.get("/workspaces/{workspace_id}/invitations", response_model=InvitationList)
async def list_workspace_invitations(access: MemberManager, db: ReadDb) -> InvitationList:
    items = await db.run(
        lambda s: [InvitationRead.model_validate(i) for i in service.list_workspace_invitations(s, access=access)]
    )
    return InvitationList(items=items, total=len(items))


@router.delete("/workspaces/{workspace_id}/invitations/{invitation_id}", status_code=204)
async def revoke_invitation(invitation_id: uuid.UUID, access: MemberManager, db: Db) -> Response:
    await db.run(lambda s: service.revoke_invitation(s, access=access, invitation_id=invitation_id))
    return Response(status_code=204)


@router.get("/invitations", response_model=InvitationList)
async def my_invitations(principal: CurrentPrincipal, db: ReadDb) -> InvitationList:
    """Pending invitations addressed to the signed-in user's email."""

    def load(s):  # type: ignore[no-untyped-def]
        return [_invitation_with_name(i, name) for i, name in service.list_my_invitations(s, email=principal.email)]

    items = await db.run(load)
    return InvitationList(items=items, total=len(items))


def _invitation_with_name(invitation: Invitation, name: str) -> InvitationRead:
    return InvitationRead.model_validate(invitation).model_copy(update={"workspace_name": name})


@router.post("/invitations/{token}/accept", response_model=WorkspaceRead)
async def accept_invitation(token: str, principal: CurrentPrincipal, db: Db) -> WorkspaceRead:
    def accept(s):  # type: ignore[no-untyped-def]
        member = service.accept_invitation(s, principal=principal, token=token)
        access = WorkspaceAccess(member.workspace_id, principal.user_id, Role(member.role), principal)
        return _workspace(service.get_workspace(s, access=access), Role(member.role))

    return await db.run(accept)


async def _may_see_workspace_topic(principal: Principal | None, topic: str) -> bool:
    """`workspaces.<id>` and `workspaces.<id>.<anything>`: for the workspace's members."""
    if principal is None:
        return False
    try:
        workspace_id = uuid.UUID(topic.split(".")[1])
    except (IndexError, ValueError):
        return False
    database = current_runtime().database

    def is_member() -> bool:
        with database.read_session_factory() as session:
            return workspace_id in service.member_workspace_ids(session, user_id=principal.user_id)

    return await run_in_threadpool(is_member)


register_topic_authorizer("workspaces.", _may_see_workspace_topic)
