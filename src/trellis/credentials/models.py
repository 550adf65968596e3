"""A workspace's stored credentials. The value is only ever stored sealed (trellis.core.crypto)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.db import Base, TimestampMixin, new_id
from trellis.core.key_rotation import register_encrypted_column


class CredentialKind(StrEnum):
    GIT_TOKEN = "git_token"  # noqa: S105
    LLM_API_KEY = "llm_api_key"
    WEBHOOK_SECRET = "webhook_secret"  # noqa: S105
    MCP_ENV = "mcp_env"
    GENERIC = "generic"


class Credential(TimestampMixin, Base):
    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[CredentialKind] = mapped_column(String(30))
    provider: Mapped[str | None] = mapped_column(String(100))
    # `v1:<key_id>:<wrapped data key>:<nonce>:<ciphertext>`, sealed with context "credential:<id>".
    sealed_value: Mapped[str] = mapped_column(Text)
    # mask_secret(value), kept so that listing never decrypts anything.
    masked_hint: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None]


register_encrypted_column(Credential, "sealed_value")
