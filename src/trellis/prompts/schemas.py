"""Prompt and template API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trellis.prompts.rendering import MAX_TEMPLATE_CHARS

Category = Literal["implementation", "testing", "review", "documentation"]


class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace_id: uuid.UUID | None = Field(None, description="Default: your personal workspace.")
    category: Category
    text: str = Field(min_length=1, max_length=MAX_TEMPLATE_CHARS, description="Jinja2 (sandboxed, strict undefined).")
    note: str | None = Field(None, max_length=500, description="What changed in this version.")


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEMPLATE_CHARS)
    note: str | None = Field(None, max_length=500)


class TemplateRead(BaseModel):
    id: uuid.UUID | None = Field(description="None for a template shipped with Trellis.")
    workspace_id: uuid.UUID | None
    category: Category
    version: str = Field(description="`workspace:<n>` for an override, `builtin:<content hash>` for a shipped one.")
    source: Literal["workspace", "builtin"]
    text: str
    note: str | None = None
    created_by: uuid.UUID | None = None
    created_at: datetime | None = None


class TemplateList(BaseModel):
    items: list[TemplateRead]
    total: int


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace_id: uuid.UUID | None = None
    category: Category
    text: str | None = Field(
        None, max_length=MAX_TEMPLATE_CHARS, description="Template text to try; default: the one in use."
    )
    project_id: uuid.UUID | None = Field(None, description="Render against this project's current plan...")
    task_id: str | None = Field(None, max_length=20, description="...and this task (default: its first task).")
    token_budget: int | None = Field(None, ge=200, le=200_000)


class PromptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    plan_version: int
    task_id: str
    category: Category
    template_version: str
    text: str
    token_count: int
    token_budget: int
    omitted: list[str]
    over_budget: bool
    created_at: datetime


class PreviewRead(BaseModel):
    category: Category
    template_version: str
    task_id: str
    sample: bool = Field(description="True when rendered against Trellis's sample plan, not a project's.")
    text: str
    token_count: int
    token_budget: int
    omitted: list[str]
    over_budget: bool


class PromptGenerate(BaseModel):
    # Unknown fields are ignored (not 422) so that authorization answers first, as on the other project routes.
    token_budget: int | None = Field(None, ge=200, le=200_000, description="Default: TRELLIS_PROMPT_TOKEN_BUDGET.")
    request_id: str | None = Field(None, max_length=200, description="Idempotency key (seed 000).")


class PromptSet(BaseModel):
    project_id: uuid.UUID
    plan_version: int
    generation_key: str
    created: bool = Field(description="False when this plan version and these templates were already rendered.")
    token_counter: str
    template_versions: dict[str, str]
    items: list[PromptRead]
    total: int
