"""Repository API shapes (seed 001). No shape carries a token: `access_token` is write-only (SecretStr)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from trellis.repos.urls import UrlProblem, check_git_url


class RepositoryConnect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    git_url: str = Field(
        min_length=1,
        max_length=2048,
        description="https://host/owner/repo(.git); `file:///path` or `/path` when the server allows local roots.",
    )
    access_token: SecretStr | None = Field(
        None,
        max_length=1024,
        description="Token for the host (GitHub, GitLab, Bitbucket, or any HTTPS Git server). Stored encrypted; "
        "never returned. Optional for public and local repositories.",
    )
    project_id: uuid.UUID
    branch: str | None = Field(None, max_length=255, description="Branch to clone. Default: the remote's HEAD.")
    username: str | None = Field(
        None,
        max_length=100,
        description="User name sent with the token to generic HTTPS hosts (default `git`). GitHub, GitLab and "
        "Bitbucket use their own token schemes (x-access-token, oauth2, x-token-auth).",
    )
    request_id: str | None = Field(None, max_length=255, description="Idempotency key (seed 000 convention).")

    @field_validator("git_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        # Syntax only (http:// passes here and is decided by the server's settings); never echoes the URL.
        try:
            return check_git_url(value, allow_http=True)
        except UrlProblem as exc:
            raise ValueError(str(exc)) from None

    @field_validator("access_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not token:
            return None
        if len(token) < 10 or any(ch.isspace() or ord(ch) < 32 for ch in token):
            raise ValueError("Access token appears to be invalid")
        return SecretStr(token)

    @field_validator("branch")
    @classmethod
    def _check_branch(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if value.startswith(("-", "/")) or ".." in value or any(ch.isspace() or ch in "~^:?*[\\" for ch in value):
            raise ValueError("not a valid branch name")
        return value

    @field_validator("username")
    @classmethod
    def _check_username(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if any(ch.isspace() or ord(ch) < 32 or ch in ":@" for ch in value):
            raise ValueError("must not contain whitespace, ':' or '@'")
        return value.strip()


class RepositoryConnected(BaseModel):
    """Seed 001's connect response (201)."""

    repo_id: uuid.UUID
    project_id: uuid.UUID
    git_url: str
    connected: bool = True
    task_id: uuid.UUID
    estimated_size_mb: float | None
    size_source: str | None = Field(
        description="github_api, gitlab_api, bitbucket_api, local_objects or shallow_fetch."
    )
    clone_status: str
    provider: str
    branch: str | None
    commit_sha: str | None = Field(description="The branch head seen by the pre-check.")
    created_at: datetime


class RepositoryRead(BaseModel):
    """Seed 001's repository details."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    git_url: str
    provider: str
    branch: str | None
    repository_size_mb: float | None
    estimated_size_mb: float | None
    clone_status: str
    sandbox_path: str | None
    commit_sha: str | None
    file_count: int | None
    token_hint: str | None = Field(None, description="Masked token (`ghp_...cdef`), or null when none is stored.")
    last_synced_at: datetime | None
    created_at: datetime
    updated_at: datetime


class RepositoryStatus(BaseModel):
    """Seed 001's status response, plus the error code and the current job."""

    repo_id: uuid.UUID
    clone_status: str
    repository_size_mb: float | None
    sandbox_path: str | None
    progress_message: str | None
    error_message: str | None
    error_code: str | None
    commit_sha: str | None
    file_count: int | None
    task_id: uuid.UUID | None
    updated_at: datetime


class RepositoryList(BaseModel):
    items: list[RepositoryRead]
    total: int
    limit: int
    offset: int


class RepositoryJobAccepted(BaseModel):
    """202 for sync and disconnect: the job that does the work, and the status to poll."""

    repo_id: uuid.UUID
    task_id: uuid.UUID
    clone_status: str
    commit_sha: str | None
