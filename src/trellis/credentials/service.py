"""Workspace credentials: stored sealed, listed by their masked hint, opened only server-side.

`reveal_credential_value` is for other domains' services and jobs (cloning with a Git token,
calling an LLM); no route returns a value.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core.crypto import KeyProvider, mask_secret, open_secret, seal_secret
from trellis.core.db import new_id, utcnow
from trellis.core.errors import Conflict, NotFound
from trellis.core.key_providers import current_key_provider
from trellis.credentials.models import Credential, CredentialKind
from trellis.credentials.schemas import CredentialCreate, CredentialList, CredentialRead


class CredentialNotFound(NotFound):
    code = "credential_not_found"


class CredentialNameTaken(Conflict):
    code = "credential_name_taken"


def sealing_context(credential_id: uuid.UUID) -> str:
    """Associated data a credential's value is sealed with: the value opens in this row only."""
    return f"credential:{credential_id}"


def _load(db_session: Session, workspace_id: uuid.UUID, credential_id: uuid.UUID) -> Credential:
    credential = db_session.get(Credential, credential_id)
    # Another workspace's credential is reported exactly like a missing one.
    if credential is None or credential.workspace_id != workspace_id:
        raise CredentialNotFound(
            f"Credential {credential_id} does not exist in this workspace.", credential_id=str(credential_id)
        )
    return credential


def _name_taken(name: str) -> CredentialNameTaken:
    return CredentialNameTaken(f"This workspace already has a credential named {name!r}.", name=name)


def create_credential(
    db_session: Session,
    *,
    workspace_id: uuid.UUID,
    data: CredentialCreate,
    created_by: uuid.UUID | None,
    key_provider: KeyProvider | None = None,
) -> CredentialRead:
    existing = db_session.scalar(
        select(Credential.id).where(Credential.workspace_id == workspace_id, Credential.name == data.name)
    )
    if existing is not None:
        raise _name_taken(data.name)
    value = data.value.get_secret_value()
    credential_id = new_id()
    credential = Credential(
        id=credential_id,
        workspace_id=workspace_id,
        name=data.name,
        kind=data.kind,
        provider=data.provider,
        sealed_value=seal_secret(
            value, context=sealing_context(credential_id), provider=key_provider or current_key_provider()
        ),
        masked_hint=mask_secret(value),
        created_by=created_by,
    )
    try:
        with db_session.begin_nested():
            db_session.add(credential)
    except IntegrityError:
        # Two requests creating the same name at once (PostgreSQL); SQLite serializes writers.
        raise _name_taken(data.name) from None
    audit_service.record(
        db_session,
        action="credential.created",
        user_id=created_by,
        workspace_id=workspace_id,
        resource_type="credential",
        resource_id=str(credential_id),
        metadata={"name": credential.name, "kind": str(credential.kind), "provider": credential.provider},
    )
    return CredentialRead.model_validate(credential)


def list_credentials(
    db_session: Session,
    *,
    workspace_id: uuid.UUID,
    kind: CredentialKind | None = None,
    limit: int = 50,
    offset: int = 0,
) -> CredentialList:
    query = select(Credential).where(Credential.workspace_id == workspace_id)
    if kind is not None:
        query = query.where(Credential.kind == kind)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session.scalars(query.order_by(Credential.name, Credential.id).limit(limit).offset(offset)).all()
    return CredentialList(
        items=[CredentialRead.model_validate(row) for row in rows], total=total, limit=limit, offset=offset
    )


def get_credential(db_session: Session, *, workspace_id: uuid.UUID, credential_id: uuid.UUID) -> CredentialRead:
    return CredentialRead.model_validate(_load(db_session, workspace_id, credential_id))


def delete_credential(
    db_session: Session, *, workspace_id: uuid.UUID, credential_id: uuid.UUID, deleted_by: uuid.UUID | None
) -> None:
    credential = _load(db_session, workspace_id, credential_id)
    metadata = {"name": credential.name, "kind": str(credential.kind), "provider": credential.provider}
    db_session.delete(credential)
    db_session.flush()
    audit_service.record(
        db_session,
        action="credential.deleted",
        user_id=deleted_by,
        workspace_id=workspace_id,
        resource_type="credential",
        resource_id=str(credential_id),
        metadata=metadata,
    )


def reveal_credential_value(
    db_session: Session,
    *,
    workspace_id: uuid.UUID,
    credential_id: uuid.UUID,
    key_provider: KeyProvider | None = None,
) -> str:
    """The plaintext, for server-side use only (never return it from a route, never log it).

    Records `last_used_at`; the caller's transaction commits it.
    """
    credential = _load(db_session, workspace_id, credential_id)
    value = open_secret(
        credential.sealed_value,
        context=sealing_context(credential.id),
        provider=key_provider or current_key_provider(),
    )
    # A use is not an edit: `updated_at` keeps saying when the credential itself last changed.
    db_session.execute(
        update(Credential)
        .where(Credential.id == credential.id)
        .values(last_used_at=utcnow(), updated_at=Credential.updated_at)
        .execution_options(synchronize_session=False)
    )
    return value
