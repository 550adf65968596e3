from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

FormatName = Literal["markdown", "text", "csv", "json", "yaml"]


# The longest a requirement's fields may be: the bulk schema declares them, and the service holds imports to them.
MAX_LENGTHS = {"text": 10_000, "title": 300, "priority": 30}
MAX_ITEMS = {"acceptance_criteria": 100, "dependencies": 200, "tags": 50}


class RequirementIn(BaseModel):
    code: str = Field(min_length=1, max_length=50, description="Letters, digits and dashes; unique per project.")
    text: str = Field(min_length=1, max_length=MAX_LENGTHS["text"])
    title: str | None = Field(None, max_length=MAX_LENGTHS["title"])
    acceptance_criteria: list[str] = Field(default_factory=list, max_length=MAX_ITEMS["acceptance_criteria"])
    priority: str | None = Field(None, max_length=MAX_LENGTHS["priority"])
    dependencies: list[str] = Field(default_factory=list, max_length=MAX_ITEMS["dependencies"])
    tags: list[str] = Field(default_factory=list, max_length=MAX_ITEMS["tags"])


class BulkUpsert(BaseModel):
    requirements: list[RequirementIn] = Field(min_length=1, max_length=5000)
    request_id: str | None = Field(None, max_length=128, description="Idempotency key (seed 000).")


class FindingRead(BaseModel):
    category: str
    start: int
    end: int
    text: str
    severity: str
    message: str
    suggestion: str
    field: str = "text"


class ScoresRead(BaseModel):
    testability: float
    ambiguity: int
    dependencies: float
    completeness: float
    passed: dict[str, bool]


class RequirementRead(BaseModel):
    id: uuid.UUID
    code: str
    version: int
    text: str
    title: str | None
    acceptance_criteria: list[str]
    priority: str | None
    dependencies: list[str]
    tags: list[str]
    updated_at: datetime
    scores: ScoresRead | None = None
    findings: list[FindingRead] | None = None


class ProjectFindingRead(BaseModel):
    category: str
    codes: list[str]
    severity: str
    message: str
    suggestion: str
    details: dict[str, Any]


class RequirementList(BaseModel):
    items: list[RequirementRead]
    total: int
    project_findings: list[ProjectFindingRead] = Field(default_factory=list)
    scores: ScoresRead | None = None
    meets_thresholds: bool | None = None


class UpsertResponse(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    total: int


class VersionRead(BaseModel):
    version: int
    data: dict[str, Any]
    source: str
    source_ref: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    diff: list[str] = Field(description="Unified diff of the text against the previous version.")


class ImportRequest(BaseModel):
    content: str = Field(min_length=1, max_length=5_000_000)
    format: FormatName | None = Field(None, description="Default: detected from `filename` or the content.")
    filename: str | None = Field(None, max_length=255)
    request_id: str | None = Field(None, max_length=128)
