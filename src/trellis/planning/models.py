"""Stored plans and task tracking.

A plan version is keyed by (project, requirements hash, validation hash, planner version): planning again with the
same inputs returns the stored version, new inputs make the next version. The plan itself is the JSON of
`Plan.as_dict()`. Task statuses live per (project, task id) with every change in `task_status_events`: who, when,
from, to, the note, and the verification result when the change came from a done report.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.db import Base, new_id, utcnow


class PlanVersionRow(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("project_id", "version", name="uq_plan_versions_version"),
        UniqueConstraint(
            "project_id", "requirements_hash", "validation_hash", "planner_version", name="uq_plan_versions_key"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    requirements_hash: Mapped[str] = mapped_column(String(64))
    # validation report + documentation files read (planner.validation_hash); "none" when planned without either
    validation_hash: Mapped[str] = mapped_column(String(64))
    planner_version: Mapped[str] = mapped_column(String(20))
    validation_run_id: Mapped[uuid.UUID | None]  # the run whose report was used (not a foreign key: runs may go)
    seed: Mapped[int] = mapped_column(default=0)
    task_count: Mapped[int]
    total_p50_hours: Mapped[float]
    total_p85_hours: Mapped[float]
    body: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)  # read once per version: plans.plan_of
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    times_requested: Mapped[int] = mapped_column(default=1)
    last_requested_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskState(Base):
    __tablename__ = "task_states"
    __table_args__ = (UniqueConstraint("project_id", "task_id", name="uq_task_states_task"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(20))
    task_key: Mapped[str] = mapped_column(String(120))  # what it is for, e.g. "build:REQ-1"
    plan_version: Mapped[int]  # the latest plan version that has this task
    status: Mapped[str] = mapped_column(String(20), default="pending")
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the latest done report's outcome
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskStatusEvent(Base):
    __tablename__ = "task_status_events"
    __table_args__ = (Index("ix_task_status_events_task", "project_id", "task_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
