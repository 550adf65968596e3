"""Storage of idempotency records. Synchronous: the middleware runs each call in a worker thread.

Every function is its own short transaction (a write one starts with BEGIN IMMEDIATE on
SQLite), so no lock is held while the request itself runs. Stored response bodies are sealed
with the envelope encryption of `core.crypto`: a replayed sign-in or token-creation response
carries credentials, and no credential may sit in the database in clear.
"""

from __future__ import annotations

import base64
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from trellis.core.crypto import KeyProvider, open_secret, seal_secret
from trellis.core.db import Database, utcnow
from trellis.core.idempotency_models import IdempotencyRecord, IdempotencyState

_SWEEP_PROBABILITY = 0.01
_SWEEP_BATCH = 500


@dataclass(frozen=True)
class Fingerprint:
    scope_hash: str
    key: str
    method: str
    path: str
    request_hash: str


@dataclass(frozen=True)
class StoredRequest:
    id: uuid.UUID
    method: str
    path: str
    request_hash: str
    state: str
    expires_at: datetime
    status: int | None
    headers: list[list[str]] | None
    body: bytes | None


def try_insert(database: Database, fingerprint: Fingerprint, lease: timedelta) -> uuid.UUID | None:
    """Insert the `processing` row; None when a row with this (scope, key) already exists."""
    now = utcnow()
    record_id = uuid.uuid4()
    try:
        with database.session_factory() as session, session.begin():
            session.execute(
                insert(IdempotencyRecord).values(
                    id=record_id,
                    scope_hash=fingerprint.scope_hash,
                    key=fingerprint.key,
                    method=fingerprint.method,
                    path=fingerprint.path,
                    request_hash=fingerprint.request_hash,
                    state=IdempotencyState.PROCESSING,
                    created_at=now,
                    expires_at=now + lease,
                )
            )
    except IntegrityError:
        return None
    if random.random() < _SWEEP_PROBABILITY:  # noqa: S311 - load spreading, not security
        delete_expired(database)
    return record_id


def delete_expired(database: Database) -> None:
    """Cheap opportunistic cleanup: at most one batch of expired rows per call."""
    with database.session_factory() as session, session.begin():
        batch = (
            select(IdempotencyRecord.id)
            .where(IdempotencyRecord.expires_at <= utcnow())
            .limit(_SWEEP_BATCH)
            .scalar_subquery()
        )
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(batch)))


def _context(record_id: uuid.UUID) -> str:
    # Bound to the row: a sealed body copied to another record does not open.
    return f"idempotency:{record_id}"


def _seal(body: bytes, record_id: uuid.UUID, provider: KeyProvider) -> str:
    return seal_secret(base64.b64encode(body).decode(), context=_context(record_id), provider=provider)


def _open(sealed: str | None, record_id: uuid.UUID, provider: KeyProvider) -> bytes | None:
    if sealed is None:
        return None
    return base64.b64decode(open_secret(sealed, context=_context(record_id), provider=provider))


def load(database: Database, scope_hash: str, key: str, provider: KeyProvider) -> StoredRequest | None:
    with database.read_session_factory() as session:
        row = session.execute(
            select(IdempotencyRecord).where(IdempotencyRecord.scope_hash == scope_hash, IdempotencyRecord.key == key)
        ).scalar_one_or_none()
        if row is None:
            return None
        return StoredRequest(
            row.id,
            row.method,
            row.path,
            row.request_hash,
            row.state,
            row.expires_at,
            row.response_status,
            row.response_headers,
            _open(row.response_body, row.id, provider),
        )


def delete_if_expired(database: Database, record_id: uuid.UUID) -> None:
    with database.session_factory() as session, session.begin():
        session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id, IdempotencyRecord.expires_at <= utcnow())
        )


def release(database: Database, record_id: uuid.UUID) -> None:
    with database.session_factory() as session, session.begin():
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == record_id, IdempotencyRecord.state == IdempotencyState.PROCESSING
            )
        )


def complete(
    database: Database,
    record_id: uuid.UUID,
    status: int,
    headers: list[list[str]],
    body: bytes,
    ttl: timedelta,
    provider: KeyProvider,
) -> None:
    with database.session_factory() as session, session.begin():
        # Conditional: if this row's lease lapsed and a retry took the key over, that retry's row stays.
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id, IdempotencyRecord.state == IdempotencyState.PROCESSING)
            .values(
                state=IdempotencyState.COMPLETED,
                response_status=status,
                response_headers=headers,
                response_body=_seal(body, record_id, provider),
                expires_at=utcnow() + ttl,
            )
            .execution_options(synchronize_session=False)
        )
