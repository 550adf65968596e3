"""Stored code validation runs: one per (repository, commit, requirements hash), re-used when asked again.

The whole report (capped links per requirement) is a JSON column; what people filter and sort on - status,
compliance and the four dimension scores, per-status requirement counts - are plain columns.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.db import Base, TimestampMixin, new_id


class RunStatus(StrEnum):
    PENDING = "pending"  # queued, not started
    RUNNING = "running"  # the job is indexing and tracing
    COMPLETED = "completed"  # report stored; re-used for the same key
    FAILED = "failed"  # error_code / error_message say why; asking again retries


class ValidationRun(TimestampMixin, Base):
    __tablename__ = "validation_runs"
    __table_args__ = (
        UniqueConstraint("repo_id", "commit_sha", "requirements_hash", name="uq_validation_runs_key"),
        Index("ix_validation_runs_project_created", "project_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    repo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("code_repos.id", ondelete="CASCADE"), index=True)
    commit_sha: Mapped[str] = mapped_column(String(64))
    requirements_hash: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.PENDING.value, index=True)
    # The requirements exactly as validated (code, text, criteria, ...): the job never reads newer versions.
    requirements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    job_id: Mapped[uuid.UUID | None]
    times_requested: Mapped[int] = mapped_column(default=1)
    last_requested_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    duration_seconds: Mapped[float | None]

    compliance_score: Mapped[float | None]
    passed: Mapped[bool | None]
    structural_alignment: Mapped[float | None]
    pattern_compliance: Mapped[float | None]
    functional_coverage: Mapped[float | None]
    quality_indicators: Mapped[float | None]
    requirements_total: Mapped[int | None]
    implemented_count: Mapped[int | None]
    partial_count: Mapped[int | None]
    missing_count: Mapped[int | None]
    unrequested_count: Mapped[int | None]
    files_indexed: Mapped[int | None]

    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)
