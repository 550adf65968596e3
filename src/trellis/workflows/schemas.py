from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

WorkflowStatusName = Literal["draft", "published", "archived"]


class WorkflowContent(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=10_000)
    nodes: list[dict[str, Any]] = Field(default_factory=list, max_length=500)
    connections: list[dict[str, Any]] = Field(default_factory=list, max_length=2000)
    settings: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list, max_length=50)


class WorkflowCreate(WorkflowContent):
    workspace_id: uuid.UUID | None = Field(None, description="Default: your personal workspace.")
    is_public: bool = False


class WorkflowUpdate(WorkflowContent):
    change_note: str | None = Field(None, max_length=500)


class WorkflowStatusChange(BaseModel):
    status: WorkflowStatusName


class WorkflowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    name: str
    description: str | None
    status: str
    nodes: list[dict[str, Any]]
    connections: list[dict[str, Any]]
    settings: dict[str, Any]
    tags: list[str]
    is_public: bool
    version: int
    parent_workflow_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class WorkflowList(BaseModel):
    items: list[WorkflowRead]
    total: int
    limit: int
    offset: int


class WorkflowVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    name: str
    description: str | None
    nodes: list[dict[str, Any]]
    connections: list[dict[str, Any]]
    settings: dict[str, Any]
    tags: list[str]
    change_note: str | None
    created_by: uuid.UUID | None
    created_at: datetime


class WorkflowVersionList(BaseModel):
    items: list[WorkflowVersionRead]
    total: int


class WorkflowExport(BaseModel):
    """The portable JSON document of `trellis workflow export` / `import`."""

    format: Literal["trellis.workflow/v1"] = "trellis.workflow/v1"
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    nodes: list[dict[str, Any]] = Field(default_factory=list, max_length=500)
    connections: list[dict[str, Any]] = Field(default_factory=list, max_length=2000)
    settings: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list, max_length=50)


class WorkflowImport(WorkflowExport):
    workspace_id: uuid.UUID | None = None


class WebhookInfo(BaseModel):
    urls: dict[str, str] = Field(description="Per webhook node: the path to POST to.")
    secret: str = Field(description="HMAC-SHA256 key: sign f'{timestamp}.{body}' into X-Trellis-Signature.")
    signature_header: str = "X-Trellis-Signature"
    timestamp_header: str = "X-Trellis-Timestamp"


class NodeTypeRead(BaseModel):
    type: str
    category: str
    description: str
    handles: list[str]
    dynamic_handles: bool
    is_trigger: bool
    min_inputs: int
    side_effects: bool
    config_schema: dict[str, Any]
