"""The jobs table: the single source of truth for every background job, whatever carries it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.db import Base, TimestampMixin, new_id, utcnow


class JobStatus(StrEnum):
    PENDING = "pending"  # waiting for a worker (or for its retry time, `run_after`)
    RUNNING = "running"  # leased by `lease_owner` until `lease_expires_at`
    COMPLETED = "completed"
    FAILED = "failed"  # attempts exhausted, or a permanent error


class Job(TimestampMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_run_after", "status", "run_after"),
        Index("ix_jobs_status_lease_expires_at", "status", "lease_expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(String(20), default=JobStatus.PENDING)
    priority: Mapped[int] = mapped_column(default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)

    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    backoff_seconds: Mapped[float] = mapped_column(default=2.0)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]

    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[Any | None] = mapped_column(JSON)
