"""Workspace template overrides (each edit a new version) and the prompts generated for a plan version."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.db import Base, new_id, utcnow


class PromptTemplateVersion(Base):
    """One version of a workspace's template for a category; the highest version is the one in use."""

    __tablename__ = "prompt_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "category", "version", name="uq_prompt_templates_version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GeneratedPrompt(Base):
    """A rendered prompt. `generation_key` (plan version + template versions + budget) makes generating idempotent."""

    __tablename__ = "generated_prompts"
    __table_args__ = (
        UniqueConstraint("project_id", "generation_key", "task_id", "category", name="uq_generated_prompts_prompt"),
        Index("ix_generated_prompts_project_plan", "project_id", "plan_version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    plan_version: Mapped[int]
    generation_key: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    template_version: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    token_count: Mapped[int]
    token_budget: Mapped[int]
    omitted: Mapped[list[str]] = mapped_column(JSON, default=list)
    over_budget: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
