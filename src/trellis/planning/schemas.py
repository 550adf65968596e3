"""API shapes of plans, tasks and their tracking."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class PlanRequest(BaseModel):
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seeds the Monte Carlo estimates (same seed, same figures).")
    correlation_id: str | None = Field(None, max_length=128)


class PlanVersionSummary(BaseModel):
    version: int
    requirements_hash: str
    validation_hash: str | None = Field(
        description="Hash of the code validation report and the repository's documentation files planned from; "
        "null when planned without either."
    )
    validation_run_id: uuid.UUID | None
    planner_version: str
    seed: int
    task_count: int
    total_p50_hours: float
    total_p85_hours: float
    created_by: uuid.UUID | None
    created_at: datetime


class PlanRead(PlanVersionSummary):
    project_id: uuid.UUID
    project_status: str
    created: bool = Field(description="False when the same inputs returned the stored version.")
    plan: dict[str, Any] = Field(
        description="phases, tasks (id, title, category, requirements, depends_on, complexity, estimate, risks, "
        "dod, files, ...), critical_path, totals, summary, warnings, risks."
    )


class PlanVersionList(BaseModel):
    items: list[PlanVersionSummary]
    total: int


class RequirementRefRead(BaseModel):
    code: str
    version: int
    text: str
    acceptance_criteria: list[str]
    title: str | None = Field(None, description="The requirement's own title, when it has one.")


class FileRefRead(BaseModel):
    path: str
    action: str = Field(description="create, modify or reference")
    why: str
    lines: list[int] | None


class RiskRead(BaseModel):
    factor: str
    probability: float
    impact: float
    score: float
    mitigation: str


class EstimateRead(BaseModel):
    story_points: int
    hours_likely: float
    p50_hours: float
    p85_hours: float


class DodItemRead(BaseModel):
    text: str
    source: str
    checkable: bool
    check: str


class TaskRead(BaseModel):
    id: str
    key: str
    title: str
    description: str
    category: str
    kind: str
    phase: str
    requirements: list[RequirementRefRead]
    depends_on: list[str]
    complexity: int
    complexity_reasons: list[str]
    estimate: EstimateRead
    risks: list[RiskRead]
    dod: list[DodItemRead]
    files: list[FileRefRead]
    priority: int
    parallel: bool = Field(description="At plan time: no dependency and no file written by another such task.")
    on_critical_path: bool
    status: str
    ready: bool = Field(description="Pending and every dependency done.")
    parallel_now: bool = Field(description="Ready, and writes no file another ready task writes.")
    verification: dict[str, Any] | None
    updated_at: datetime | None


class TaskList(BaseModel):
    plan_version: int
    items: list[TaskRead]
    total: int
    counts: dict[str, int]


class TaskEventRead(BaseModel):
    from_status: str | None
    to_status: str
    actor_id: uuid.UUID | None
    note: str | None
    verification: dict[str, Any] | None
    created_at: datetime


class TaskDetailRead(TaskRead):
    plan_version: int
    history: list[TaskEventRead]


class NextTask(BaseModel):
    task: TaskRead | None
    message: str


class TaskStatusUpdate(BaseModel):
    status: str | None = Field(None, description="pending, in_progress, review or blocked (done: POST .../done).")
    note: str | None = Field(None, max_length=5000)


class TaskDoneReport(BaseModel):
    note: str | None = Field(None, max_length=5000)


class DoneOutcome(BaseModel):
    task_id: str
    status: str
    accepted: bool
    reasons: list[str]
    verification: dict[str, Any]
