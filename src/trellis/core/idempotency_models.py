"""The idempotency_records table: one row per (caller, Idempotency-Key), holding the response to replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.db import Base, new_id, utcnow
from trellis.core.key_rotation import register_encrypted_column


class IdempotencyState(StrEnum):
    PROCESSING = "processing"  # the first request is running; others with the key wait for it
    COMPLETED = "completed"  # response stored; replayed until expires_at


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    # The unique pair is what decides which of two concurrent requests runs.
    __table_args__ = (UniqueConstraint("scope_hash", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # SHA-256 of the caller's Authorization header (never the header itself), or "anonymous".
    scope_hash: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    request_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the request body
    state: Mapped[IdempotencyState] = mapped_column(String(20), default=IdempotencyState.PROCESSING)
    response_status: Mapped[int | None]
    response_headers: Mapped[list[list[str]] | None] = mapped_column(JSON)
    # Sealed by core.crypto (it may carry credentials); re-wrapped by `trellis keys rotate`.
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


register_encrypted_column(IdempotencyRecord, "response_body")
