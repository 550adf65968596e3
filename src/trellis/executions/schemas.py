from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ExecutionStart(BaseModel):
    workflow_id: uuid.UUID
    trigger_type: str = Field("manual", max_length=50)
    trigger_node_id: str | None = Field(None, max_length=255, description="Which trigger, when there are several.")
    trigger_data: dict[str, Any] = Field(default_factory=dict)


class ExecutionStarted(BaseModel):
    id: uuid.UUID
    workflow_id: uuid.UUID
    status: str
    created_at: datetime


class ExecutionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workflow_id: uuid.UUID
    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    workflow_version: int
    status: str
    trigger_type: str
    trigger_node_id: str
    trigger_data: dict[str, Any]
    start_time: datetime | None
    end_time: datetime | None
    duration_ms: int | None
    error_message: str | None
    failed_node_id: str | None
    output: dict[str, Any] | None
    run: int
    cancel_requested: bool
    parent_execution_id: uuid.UUID | None
    created_at: datetime


class ExecutionList(BaseModel):
    items: list[ExecutionRead]
    total: int
    limit: int
    offset: int


class NodeExecutionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    node_id: str
    node_type: str
    run: int
    step: int
    status: str
    input_data: Any | None
    output_data: Any | None
    start_time: datetime | None
    end_time: datetime | None
    duration_ms: int | None
    error_message: str | None
    retry_count: int
    metadata: dict[str, Any] = Field(validation_alias="details")


class NodeExecutionList(BaseModel):
    items: list[NodeExecutionRead]


class ExecutionLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    node_id: str | None
    level: str
    message: str
    data: dict[str, Any] | None
    created_at: datetime


class ExecutionLogList(BaseModel):
    items: list[ExecutionLogRead]
    next_after_id: int


class RerunRequest(BaseModel):
    from_node: str = Field(min_length=1, max_length=255)


class ApprovalDecision(BaseModel):
    node_id: str | None = Field(None, max_length=255, description="Needed only when several approvals wait.")
    comment: str | None = Field(None, max_length=5000)
