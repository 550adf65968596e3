from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: str
    correlation_id: str | None
    request_id: str | None
    user_id: uuid.UUID | None
    workspace_id: uuid.UUID | None
    resource_type: str | None
    resource_id: str | None
    from_state: str | None
    to_state: str | None
    metadata: dict[str, Any] = Field(validation_alias="details")
    created_at: datetime


class AuditRecordList(BaseModel):
    items: list[AuditRecordRead]
    total: int
    limit: int
    offset: int
