"""Repository errors, with seed 001's statuses. Messages never contain a token or an authenticated URL."""

from __future__ import annotations

from trellis.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, PermissionDenied, TrellisError


class InvalidGitUrl(InvalidInput):
    code = "invalid_git_url"


class LocalPathNotAllowed(PermissionDenied):
    code = "local_path_not_allowed"


class RepositoryAuthFailed(TrellisError):
    status_code = 401
    code = "git_authentication_failed"


class RepositoryNotFound(NotFound):
    code = "repository_not_found"


class RepositoryTooLarge(PayloadTooLarge):
    """413 with seed 001's body: error, message, estimated_size_mb, limit_mb."""

    code = "repository_too_large"

    def __init__(self, *, estimated_size_mb: float, limit_mb: int, at_least: bool = False) -> None:
        size = f"at least {estimated_size_mb:.1f}MB" if at_least else f"{estimated_size_mb:.1f}MB"
        super().__init__(
            f"Repository size {size} exceeds limit of {limit_mb}MB",
            estimated_size_mb=round(estimated_size_mb, 1),
            limit_mb=limit_mb,
        )


class GitNetworkError(TrellisError):
    status_code = 502
    code = "git_network_error"


class GitTimeout(TrellisError):
    status_code = 502
    code = "git_timeout"


class InsufficientStorage(TrellisError):
    status_code = 507
    code = "insufficient_storage"


class RepositoryBusy(Conflict):
    code = "repository_busy"
