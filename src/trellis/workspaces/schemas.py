from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from trellis.workspaces.permissions import Role


class WorkspaceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=5000)


class WorkspaceUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=5000)
    settings: dict[str, Any] | None = None


class WorkspaceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    is_personal: bool
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    role: Role | None = None


class WorkspaceList(BaseModel):
    items: list[WorkspaceRead]
    total: int


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    full_name: str | None
    role: Role
    joined_at: datetime


class MemberList(BaseModel):
    items: list[MemberRead]
    total: int


class RoleChange(BaseModel):
    role: Role


class InvitationCreate(BaseModel):
    email: EmailStr
    role: Role = Role.EDITOR


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workspace_id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    created_at: datetime
    workspace_name: str | None = None


class InvitationCreated(InvitationRead):
    token: str = Field(description="Sent to the invitee by mail; accept with POST /invitations/{token}/accept.")


class InvitationList(BaseModel):
    items: list[InvitationRead]
    total: int
