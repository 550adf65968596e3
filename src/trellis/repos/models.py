"""Connected repositories (seed 001 `code_repos`) and their access tokens, sealed at rest.

The token lives in its own table so that disconnecting deletes it outright while the repository row
stays behind (status CLEANED) for the audit trail. Seed 001 stores `token_ciphertext` + `token_kid`;
here the sealed string (`trellis.core.crypto`) carries its key id inside, so `token_kid` is read from
it rather than kept in a second column that key rotation would leave stale.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.crypto import sealed_key_id
from trellis.core.db import Base, TimestampMixin, new_id
from trellis.core.key_rotation import register_encrypted_column


class CloneStatus(StrEnum):
    PENDING = "PENDING"
    CLONING = "CLONING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CLEANING = "CLEANING"
    CLEANED = "CLEANED"


# A repository in one of these states counts as connected to its project.
CONNECTED_STATUSES = (CloneStatus.PENDING, CloneStatus.CLONING, CloneStatus.COMPLETED)


class CodeRepository(TimestampMixin, Base):
    __tablename__ = "code_repos"
    __table_args__ = (Index("ix_code_repos_created_at", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    # Kept beside the project so listing across workspaces needs no other domain's table.
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    # Never holds credentials: connect refuses URLs with a user or password in them.
    git_url: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(20))
    branch: Mapped[str | None] = mapped_column(String(255))
    estimated_size_mb: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    size_source: Mapped[str | None] = mapped_column(String(40))
    repository_size_mb: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    file_count: Mapped[int | None]
    clone_status: Mapped[str] = mapped_column(String(20), default=CloneStatus.PENDING.value, index=True)
    sandbox_path: Mapped[str | None] = mapped_column(Text)
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    progress_message: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[uuid.UUID | None]
    connected_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_synced_at: Mapped[datetime | None]


class RepositoryToken(TimestampMixin, Base):
    __tablename__ = "code_repo_tokens"

    repo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("code_repos.id", ondelete="CASCADE"), primary_key=True)
    # `v1:<key id>:<wrapped data key>:<nonce>:<ciphertext>`, sealed with context "code_repo_token:<repo id>".
    token_ciphertext: Mapped[str] = mapped_column(Text)
    # The user name git sends with the token (x-access-token, oauth2, x-token-auth); not a secret.
    username: Mapped[str] = mapped_column(String(100))
    masked_hint: Mapped[str] = mapped_column(String(20))

    @property
    def token_kid(self) -> str:
        """Seed 001's `token_kid`: the id of the master key that wraps this token's data key."""
        return sealed_key_id(self.token_ciphertext)


register_encrypted_column(RepositoryToken, "token_ciphertext")
