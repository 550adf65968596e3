"""API shapes of code validation: the request's answer, and stored runs with their reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ValidateCodeRequest(BaseModel):
    correlation_id: str | None = Field(None, max_length=128, description="Carried into every audited step.")
    request_id: str | None = Field(None, max_length=128)


class ValidationRequested(BaseModel):
    validation_run_id: uuid.UUID
    job_id: uuid.UUID | None = Field(description="The job doing the work; null when a stored result is returned.")
    status: str = Field(description="The run's status: pending, running, completed or failed.")
    reused: bool = Field(description="True when a stored result for this commit and requirements was re-used.")
    project_id: uuid.UUID
    project_status: str
    repo_id: uuid.UUID
    commit_sha: str
    requirements_hash: str
    message: str


class DimensionScores(BaseModel):
    structural_alignment: float | None
    pattern_compliance: float | None
    functional_coverage: float | None
    quality_indicators: float | None


class ValidationRunSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    repo_id: uuid.UUID
    commit_sha: str
    requirements_hash: str
    engine_version: str
    status: str
    compliance_score: float | None
    passed: bool | None
    dimensions: DimensionScores
    requirements_total: int | None
    implemented_count: int | None
    partial_count: int | None
    missing_count: int | None
    unrequested_count: int | None
    files_indexed: int | None
    duration_seconds: float | None
    times_requested: int
    job_id: uuid.UUID | None
    error_code: str | None
    error_message: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    last_requested_at: datetime | None


class ValidationRunRead(ValidationRunSummary):
    report: dict[str, Any] | None = Field(
        description="Requirements (status, coverage, ranked links with evidence - at most 20 implementation and 20 "
        "test files each), scores, gaps, unrequested files (at most 200), recommendations."
    )


class ValidationResults(BaseModel):
    project_id: uuid.UUID
    project_status: str
    latest: ValidationRunRead | None
    history: list[ValidationRunSummary]
    total: int
    limit: int
    offset: int
