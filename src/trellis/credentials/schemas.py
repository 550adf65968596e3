"""Credential API shapes. No read shape has a value field: a stored value never leaves the server."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from trellis.credentials.models import CredentialKind

MAX_VALUE_CHARS = 64 * 1024


class CredentialCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Unique within the workspace.")
    kind: CredentialKind = Field(CredentialKind.GENERIC, description="What the value is used for.")
    provider: str | None = Field(None, max_length=100, description="e.g. github, gitlab, openai, anthropic.")
    # SecretStr: the value never shows in a repr, a log line or a validation error.
    value: SecretStr = Field(
        min_length=1, max_length=MAX_VALUE_CHARS, description="The secret. Stored encrypted; never returned."
    )

    @field_validator("name")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise ValueError("must not contain control characters")
        return value

    @field_validator("provider")
    @classmethod
    def _clean_provider(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()


class CredentialRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    kind: CredentialKind
    provider: str | None
    masked_hint: str = Field(description="First and last 4 characters (`ghp_...cdef`), or `***` for short values.")
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None


class CredentialList(BaseModel):
    items: list[CredentialRead]
    total: int
    limit: int
    offset: int
