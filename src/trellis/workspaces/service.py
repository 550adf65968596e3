"""Workspaces, members, invitations, and `authorize`: the one place access is decided."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core import security
from trellis.core.db import utcnow
from trellis.core.errors import Conflict, NotFound, PermissionDenied, TrellisError
from trellis.core.mail import OutgoingMail
from trellis.workspaces.models import Invitation, Workspace, WorkspaceMember
from trellis.workspaces.permissions import READ_ONLY_PERMISSIONS, Permission, Role, can_assign, role_allows

if TYPE_CHECKING:
    from trellis.auth.service import Principal, UserProfile

INVITATION_LIFETIME = timedelta(days=7)


class WorkspaceNotFound(NotFound):
    code = "workspace_not_found"


class MemberNotFound(NotFound):
    code = "member_not_found"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"


class InvitationExpired(TrellisError):
    status_code = 410
    code = "invitation_expired"


class LastOwner(Conflict):
    code = "last_owner"


@dataclass(frozen=True)
class WorkspaceAccess:
    """The caller's standing in one workspace, as established by `authorize`."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    principal: Principal


# ---------------------------------------------------------------- authorization


def authorize(
    db_session: Session,
    *,
    principal: Principal,
    workspace_id: uuid.UUID,
    permission: Permission,
    not_found: TrellisError | None = None,
) -> WorkspaceAccess:
    """Decide whether `principal` may exercise `permission` in `workspace_id`.

    Not a member: `not_found` (or WorkspaceNotFound) - a 404, so outsiders learn nothing.
    A member whose role or token scope lacks the permission: 403.
    """
    role = db_session.scalar(
        select(WorkspaceMember.role).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == principal.user_id
        )
    )
    if role is None:
        raise not_found or WorkspaceNotFound(f"Workspace {workspace_id} does not exist.")
    member_role = Role(role)
    if not role_allows(member_role, permission):
        raise PermissionDenied(
            f"Your role in this workspace ({member_role.value}) does not allow {permission.value}.",
            role=member_role.value,
            required=permission.value,
        )
    if principal.scope == "read" and permission not in READ_ONLY_PERMISSIONS:
        raise PermissionDenied("This API token is read-only.", required=permission.value)
    return WorkspaceAccess(workspace_id=workspace_id, user_id=principal.user_id, role=member_role, principal=principal)


def personal_workspace_id(db_session: Session, *, user_id: uuid.UUID) -> uuid.UUID:
    workspace_id = db_session.scalar(
        select(Workspace.id)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.user_id == user_id, Workspace.is_personal.is_(True), Workspace.created_by == user_id)
    )
    if workspace_id is None:
        raise WorkspaceNotFound("You have no personal workspace; pass workspace_id.")
    return workspace_id


def member_workspace_ids(db_session: Session, *, user_id: uuid.UUID) -> list[uuid.UUID]:
    return list(db_session.scalars(select(WorkspaceMember.workspace_id).where(WorkspaceMember.user_id == user_id)))


# ---------------------------------------------------------------- workspaces


def create_personal_workspace(db_session: Session, *, user_id: uuid.UUID, owner_name: str) -> Workspace:
    return _create(db_session, user_id=user_id, name=f"{owner_name}'s workspace", description=None, personal=True)


def create_workspace(db_session: Session, *, principal: Principal, name: str, description: str | None) -> Workspace:
    if principal.scope == "read":
        raise PermissionDenied("This API token is read-only.")
    return _create(db_session, user_id=principal.user_id, name=name, description=description, personal=False)


def _create(
    db_session: Session, *, user_id: uuid.UUID, name: str, description: str | None, personal: bool
) -> Workspace:
    workspace = Workspace(name=name[:255], description=description, is_personal=personal, created_by=user_id)
    db_session.add(workspace)
    db_session.flush()
    db_session.add(WorkspaceMember(workspace_id=workspace.id, user_id=user_id, role=Role.OWNER.value))
    audit_service.record(
        db_session,
        action="workspace.created",
        user_id=user_id,
        workspace_id=workspace.id,
        resource_type="workspace",
        resource_id=workspace.id,
        metadata={"name": workspace.name},
    )
    return workspace


def list_workspaces(db_session: Session, *, user_id: uuid.UUID) -> list[tuple[Workspace, Role]]:
    rows = db_session.execute(
        select(Workspace, WorkspaceMember.role)
        .join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.user_id == user_id)
        .order_by(Workspace.is_personal.desc(), Workspace.created_at)
    ).all()
    return [(workspace, Role(role)) for workspace, role in rows]


def get_workspace(db_session: Session, *, access: WorkspaceAccess) -> Workspace:
    workspace = db_session.get(Workspace, access.workspace_id)
    if workspace is None:
        raise WorkspaceNotFound(f"Workspace {access.workspace_id} does not exist.")
    return workspace


def update_workspace(db_session: Session, *, access: WorkspaceAccess, changes: dict[str, Any]) -> Workspace:
    workspace = get_workspace(db_session, access=access)
    for name in ("name", "description", "settings"):
        if name in changes:
            setattr(workspace, name, changes[name])
    audit_service.record(
        db_session,
        action="workspace.updated",
        user_id=access.user_id,
        workspace_id=workspace.id,
        resource_type="workspace",
        resource_id=workspace.id,
        metadata={"fields": sorted(changes)},
    )
    return workspace


def delete_workspace(db_session: Session, *, access: WorkspaceAccess) -> None:
    workspace = get_workspace(db_session, access=access)
    if workspace.is_personal:
        raise Conflict("A personal workspace cannot be deleted.", code="personal_workspace")
    # The record outlives the workspace: it is kept without the (cascading) workspace link.
    audit_service.record(
        db_session,
        action="workspace.deleted",
        user_id=access.user_id,
        resource_type="workspace",
        resource_id=workspace.id,
        metadata={"name": workspace.name},
    )
    db_session.delete(workspace)


# ---------------------------------------------------------------- members


def list_members(db_session: Session, *, access: WorkspaceAccess) -> list[tuple[WorkspaceMember, UserProfile]]:
    from trellis.auth import service as auth_service  # auth imports this module at sign-up

    members = list(
        db_session.scalars(
            select(WorkspaceMember)
            .where(WorkspaceMember.workspace_id == access.workspace_id)
            .order_by(WorkspaceMember.joined_at)
        )
    )
    profiles = auth_service.get_profiles(db_session, user_ids=[member.user_id for member in members])
    return [(member, profiles[member.user_id]) for member in members]


def _member(db_session: Session, workspace_id: uuid.UUID, user_id: uuid.UUID) -> WorkspaceMember:
    member = db_session.scalar(
        select(WorkspaceMember).where(WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == user_id)
    )
    if member is None:
        raise MemberNotFound(f"User {user_id} is not a member of this workspace.")
    return member


def _owner_count(db_session: Session, workspace_id: uuid.UUID) -> int:
    return int(
        db_session.scalar(
            select(func.count()).where(WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.role == Role.OWNER)
        )
        or 0
    )


def change_role(db_session: Session, *, access: WorkspaceAccess, user_id: uuid.UUID, role: Role) -> WorkspaceMember:
    member = _member(db_session, access.workspace_id, user_id)
    current = Role(member.role)
    if not (can_assign(access.role, role) and can_assign(access.role, current)):
        raise PermissionDenied(f"An {access.role.value} cannot change an {current.value} into an {role.value}.")
    if current is Role.OWNER and role is not Role.OWNER and _owner_count(db_session, access.workspace_id) == 1:
        raise LastOwner("The workspace's last owner cannot be demoted; make someone else owner first.")
    member.role = role.value
    audit_service.record(
        db_session,
        action="member.role_changed",
        user_id=access.user_id,
        workspace_id=access.workspace_id,
        resource_type="member",
        resource_id=user_id,
        from_state=current.value,
        to_state=role.value,
    )
    return member


def remove_member(db_session: Session, *, access: WorkspaceAccess, user_id: uuid.UUID) -> None:
    member = _member(db_session, access.workspace_id, user_id)
    current = Role(member.role)
    if not can_assign(access.role, current):
        raise PermissionDenied(f"An {access.role.value} cannot remove an {current.value}.")
    _remove(db_session, member=member, actor_id=access.user_id, action="member.removed")


def leave_workspace(db_session: Session, *, access: WorkspaceAccess) -> None:
    _remove(
        db_session,
        member=_member(db_session, access.workspace_id, access.user_id),
        actor_id=access.user_id,
        action="member.left",
    )


def _remove(db_session: Session, *, member: WorkspaceMember, actor_id: uuid.UUID, action: str) -> None:
    if member.role == Role.OWNER and _owner_count(db_session, member.workspace_id) == 1:
        raise LastOwner("The workspace's last owner cannot leave or be removed; make someone else owner first.")
    audit_service.record(
        db_session,
        action=action,
        user_id=actor_id,
        workspace_id=member.workspace_id,
        resource_type="member",
        resource_id=member.user_id,
        from_state=member.role,
    )
    db_session.delete(member)


# ---------------------------------------------------------------- invitations


def invite(db_session: Session, *, access: WorkspaceAccess, email: str, role: Role) -> tuple[Invitation, str]:
    """Returns the invitation and its token (sent by mail, never stored in clear)."""
    from trellis.auth import service as auth_service

    email = email.strip().lower()
    if not can_assign(access.role, role):
        raise PermissionDenied(f"An {access.role.value} cannot invite an {role.value}.")
    existing_user = auth_service.find_user_id(db_session, email=email)
    if existing_user is not None and db_session.scalar(
        select(WorkspaceMember.id).where(
            WorkspaceMember.workspace_id == access.workspace_id, WorkspaceMember.user_id == existing_user
        )
    ):
        raise Conflict(f"{email} is already a member of this workspace.", code="already_member")
    now = utcnow()
    # A new invitation replaces any pending one for the same address.
    db_session.execute(
        delete(Invitation).where(
            Invitation.workspace_id == access.workspace_id, Invitation.email == email, Invitation.accepted_at.is_(None)
        )
    )
    token = security.new_token("inv_", 24)
    invitation = Invitation(
        workspace_id=access.workspace_id,
        email=email,
        role=role.value,
        invited_by=access.user_id,
        token_hash=security.hash_token(token),
        expires_at=now + INVITATION_LIFETIME,
    )
    db_session.add(invitation)
    db_session.flush()
    audit_service.record(
        db_session,
        action="member.invited",
        user_id=access.user_id,
        workspace_id=access.workspace_id,
        resource_type="invitation",
        resource_id=invitation.id,
        metadata={"email": email, "role": role.value},
    )
    return invitation, token


def invitation_mail(*, email: str, workspace_name: str, role: Role, token: str, base_url: str) -> OutgoingMail:
    return OutgoingMail(
        to=email,
        subject=f"You are invited to {workspace_name} on Trellis",
        body=f"You have been invited to join {workspace_name} as {role.value}.\n\n"
        f"Sign in to {base_url} with this address and accept the invitation "
        f"(POST /api/v1/invitations/{token}/accept). It expires in 7 days.",
    )


def list_workspace_invitations(db_session: Session, *, access: WorkspaceAccess) -> list[Invitation]:
    return list(
        db_session.scalars(
            select(Invitation)
            .where(
                Invitation.workspace_id == access.workspace_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def list_my_invitations(db_session: Session, *, email: str) -> list[tuple[Invitation, str]]:
    rows = db_session.execute(
        select(Invitation, Workspace.name)
        .join(Workspace, Workspace.id == Invitation.workspace_id)
        .where(
            Invitation.email == email.lower(),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc())
    ).all()
    return [(invitation, name) for invitation, name in rows]


def revoke_invitation(db_session: Session, *, access: WorkspaceAccess, invitation_id: uuid.UUID) -> None:
    invitation = db_session.get(Invitation, invitation_id)
    if invitation is None or invitation.workspace_id != access.workspace_id or invitation.accepted_at is not None:
        raise InvitationNotFound(f"Invitation {invitation_id} does not exist.")
    invitation.revoked_at = utcnow()
    audit_service.record(
        db_session,
        action="member.invitation_revoked",
        user_id=access.user_id,
        workspace_id=access.workspace_id,
        resource_type="invitation",
        resource_id=invitation_id,
    )


def accept_invitation(db_session: Session, *, principal: Principal, token: str) -> WorkspaceMember:
    invitation = db_session.scalar(select(Invitation).where(Invitation.token_hash == security.hash_token(token)))
    # Someone else's invitation is indistinguishable from none at all.
    if invitation is None or invitation.revoked_at is not None or invitation.email != principal.email.lower():
        raise InvitationNotFound("This invitation does not exist or is for another email address.")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been accepted.", code="invitation_used")
    if invitation.expires_at <= utcnow():
        raise InvitationExpired("This invitation has expired; ask for a new one.")
    existing = db_session.scalar(
        select(WorkspaceMember).where(
            WorkspaceMember.workspace_id == invitation.workspace_id, WorkspaceMember.user_id == principal.user_id
        )
    )
    if existing is not None:
        raise Conflict("You are already a member of this workspace.", code="already_member")
    invitation.accepted_at = utcnow()
    member = WorkspaceMember(
        workspace_id=invitation.workspace_id,
        user_id=principal.user_id,
        role=invitation.role,
        invited_by=invitation.invited_by,
    )
    db_session.add(member)
    audit_service.record(
        db_session,
        action="member.joined",
        user_id=principal.user_id,
        workspace_id=invitation.workspace_id,
        resource_type="member",
        resource_id=principal.user_id,
        to_state=invitation.role,
    )
    return member
