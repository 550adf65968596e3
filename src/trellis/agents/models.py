"""Seed 004's `agents` table, scoped to a workspace, plus where its LLM comes from (provider, credential, URL).

`workflow_id` / `node_id` say which workflow node an agent belongs to, if any; no foreign key
to workflows, so agents exist on their own (library agents) and workflows can evolve apart.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.db import Base, TimestampMixin, new_id


class Agent(TimestampMixin, Base):
    __tablename__ = "agents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    node_id: Mapped[str | None] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(50), default="agent", index=True)
    system_prompt: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(100))
    temperature: Mapped[float | None]
    max_tokens: Mapped[int | None] = mapped_column(Integer)
    max_tool_depth: Mapped[int] = mapped_column(Integer, default=8)
    tools: Mapped[list[Any]] = mapped_column(JSON, default=list)
    permissions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    memory_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sub_agents: Mapped[list[str]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    provider: Mapped[str | None] = mapped_column(String(30))
    # SET NULL: deleting a credential must not delete agents; they then fall back to the instance settings.
    credential_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credentials.id", ondelete="SET NULL"))
    base_url: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
