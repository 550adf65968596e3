"""A workspace's registered MCP servers. Env and headers are stored sealed (trellis.core.crypto)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.db import Base, TimestampMixin, new_id
from trellis.core.key_rotation import register_encrypted_column


class McpTransport(StrEnum):
    STDIO = "stdio"
    SSE = "sse"
    STREAMABLE_HTTP = "streamable_http"


class McpServerStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    ERROR = "error"


class McpServer(TimestampMixin, Base):
    __tablename__ = "mcp_servers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_mcp_servers_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    # Seed 004 calls the transport `type`.
    type: Mapped[McpTransport] = mapped_column(String(20))
    command: Mapped[str | None] = mapped_column(Text)
    args: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(Text)
    # JSON objects sealed with contexts "mcp_server:<id>:env" / ":headers"; always present (`{}` when empty).
    sealed_env: Mapped[str] = mapped_column(Text)
    sealed_headers: Mapped[str] = mapped_column(Text)
    # The names alone, so that reading a server never decrypts anything.
    env_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    header_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    server_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    protocol_version: Mapped[str | None] = mapped_column(String(40))
    # The tool list as last fetched from the server: served when no live session answers.
    tools: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tools_fetched_at: Mapped[datetime | None]
    status: Mapped[McpServerStatus] = mapped_column(String(20), default=McpServerStatus.DISCONNECTED)
    last_connected_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Bumped by every configuration change and every disconnect: a process holding a session opened
    # under an older version closes it and opens a new one on its next use (the row is the truth).
    config_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


register_encrypted_column(McpServer, "sealed_env")
register_encrypted_column(McpServer, "sealed_headers")
