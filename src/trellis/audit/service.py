"""`record(...)`: the one function every domain calls to leave an audit record.

The request's correlation and request ids and client address come from the logging
context the HTTP middleware binds, so services need not pass them around.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trellis.audit.models import AuditRecord
from trellis.core.masking import mask_mapping


def record(
    db_session: Session,
    *,
    action: str,
    user_id: uuid.UUID | None = None,
    workspace_id: uuid.UUID | None = None,
    resource_type: str | None = None,
    resource_id: uuid.UUID | str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    metadata: dict[str, Any] | None = None,
    correlation_id: str | None = None,
    request_id: str | None = None,
) -> AuditRecord:
    """Ids default to the current request's; the gateway passes the ones its caller sent (seed 000)."""
    context = structlog.contextvars.get_contextvars()
    entry = AuditRecord(
        action=action,
        correlation_id=correlation_id or context.get("correlation_id"),
        request_id=request_id or context.get("request_id"),
        user_id=user_id,
        workspace_id=workspace_id,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        from_state=from_state,
        to_state=to_state,
        # Audit trails are read by many; never let a secret into one.
        details=mask_mapping(metadata or {}),
        ip_address=context.get("client_ip"),
    )
    db_session.add(entry)
    return entry


def list_records(
    db_session: Session,
    *,
    workspace_ids: Sequence[uuid.UUID] | None = None,
    user_id: uuid.UUID | None = None,
    actions: Sequence[str] | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditRecord], int]:
    query = select(AuditRecord)
    if workspace_ids is not None:
        query = query.where(AuditRecord.workspace_id.in_(workspace_ids))
    if user_id is not None:
        query = query.where(AuditRecord.user_id == user_id)
    if actions:
        query = query.where(AuditRecord.action.in_(actions))
    if resource_type is not None:
        query = query.where(AuditRecord.resource_type == resource_type)
    if resource_id is not None:
        query = query.where(AuditRecord.resource_id == resource_id)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session.scalars(
        query.order_by(AuditRecord.created_at.desc(), AuditRecord.id).limit(limit).offset(offset)
    ).all()
    return list(rows), total
