from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from trellis.audit.schemas import AuditRecordRead


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    workspace_id: uuid.UUID | None = Field(None, description="Default: your personal workspace.")
    repository_url: str | None = Field(None, max_length=2000, description="Kept in metadata until repositories land.")
    metadata: dict[str, Any] = Field(default_factory=dict)


class ProjectUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200, description="Immutable: only its current value.")
    description: str | None = Field(None, max_length=10_000)
    metadata: dict[str, Any] | None = None


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    description: str | None
    status: str
    metadata: dict[str, Any] = Field(validation_alias="details")
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ProjectList(BaseModel):
    items: list[ProjectRead]
    total: int
    limit: int
    offset: int


class GatewayRequest(BaseModel):
    """Seed 000's body: `{"action": "finalizar", "correlation_id": "...", "request_id": "..."}`."""

    action: str = Field(min_length=1, max_length=60)
    correlation_id: str | None = Field(None, max_length=128)
    request_id: str | None = Field(None, max_length=128)
    force: bool = Field(False, description="Finalize requirements that do not meet the thresholds (audited).")
    reason: str | None = Field(None, max_length=2000)


class GatewayResponse(BaseModel):
    project_id: uuid.UUID
    action: str
    from_state: str
    to_state: str
    status: str
    correlation_id: str | None
    request_id: str | None
    allowed_actions: list[str]
    details: dict[str, Any]


class ProjectStatusRead(BaseModel):
    project_id: uuid.UUID
    status: str
    allowed_actions: list[str]
    requirements: int
    requirements_meeting_thresholds: int
    findings: int
    findings_by_category: dict[str, int]
    scores: dict[str, Any]
    meets_thresholds: bool
    refinement: dict[str, Any] | None


class ProjectAudit(BaseModel):
    items: list[AuditRecordRead]
    total: int
    limit: int
    offset: int
