"""Git URL checks and hosting-provider detection: pure functions, no I/O beyond resolving local paths.

Only what git can fetch safely is accepted: `https://host/path` (and `http://` when an administrator
allows it), and local repositories (`file:///abs/path` or `/abs/path`) under allowed roots. Everything
git would treat as a command or another transport is refused: `ext::`, `fd::`, `-`-leading strings
that git would read as options (`--upload-pack=...`), ssh and scp-like `user@host:path`, `git://`.
A URL with a user name or password in it is refused without being echoed: tokens go in `access_token`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit

INVALID_URL = "Invalid Git repository URL format"
MAX_URL_CHARS = 2048

_HOST = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_PATH = re.compile(r"^/[A-Za-z0-9._~%+@-]+(?:/[A-Za-z0-9._~%+@-]+)*/?$")
_SCP_LIKE = re.compile(r"^[^/\s]+@[^/\s:]+:")


class Provider(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    BITBUCKET = "bitbucket"
    GENERIC = "generic"
    LOCAL = "local"


# The Basic-auth user name each host expects in front of an access token.
TOKEN_USERNAMES = {
    Provider.GITHUB: "x-access-token",
    Provider.GITLAB: "oauth2",
    Provider.BITBUCKET: "x-token-auth",
    Provider.GENERIC: "git",
}


class UrlProblem(ValueError):
    """Why a URL is refused; the message never contains the URL itself (it may hold a secret)."""


@dataclass(frozen=True)
class GitLocation:
    url: str  # what is stored and given to git: no credentials, ever
    provider: Provider
    host: str | None = None  # host[:port] of remote URLs
    repo_path: str | None = None  # "owner/name" (GitLab: "group/sub/name") without ".git", for hosting APIs
    local_path: Path | None = None  # resolved path of a local repository

    @property
    def is_local(self) -> bool:
        return self.provider is Provider.LOCAL


def check_git_url(raw: str, *, allow_http: bool = False) -> str:
    """Syntax check (no settings beyond `allow_http`, no I/O); returns the trimmed URL or raises UrlProblem."""
    url = raw.strip()
    if not url or len(url) > MAX_URL_CHARS:
        raise UrlProblem(f"{INVALID_URL}: expected 1 to {MAX_URL_CHARS} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UrlProblem(f"{INVALID_URL}: whitespace and control characters are not allowed.")
    if url.startswith("-"):
        raise UrlProblem(f"{INVALID_URL}: a URL cannot start with '-' (git would read it as an option).")
    if "::" in url.split("/", 1)[0] or url.lower().startswith(("ext::", "fd::")):
        raise UrlProblem(f"{INVALID_URL}: git transport helpers such as ext:: are not allowed.")
    if url.startswith("/"):
        return url
    lowered = url.lower()
    if lowered.startswith("file://"):
        if not lowered.startswith("file:///"):
            raise UrlProblem(f"{INVALID_URL}: file URLs must be absolute (file:///path).")
        return url
    if lowered.startswith(("ssh://", "git+ssh://", "ssh+git://")) or _SCP_LIKE.match(url):
        raise UrlProblem(f"{INVALID_URL}: SSH URLs are not supported; use the HTTPS URL and an access token.")
    scheme = lowered.split("://", 1)[0] if "://" in lowered else ""
    allowed = ("https", "http") if allow_http else ("https",)
    if scheme not in allowed:
        wanted = "https:// (or http:// on this server)" if allow_http else "https://"
        raise UrlProblem(f"{INVALID_URL}: expected {wanted}, a file:/// URL or an absolute path.")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        raise UrlProblem(f"{INVALID_URL}: the host or port is malformed.") from None
    if "@" in parts.netloc:
        raise UrlProblem(
            f"{INVALID_URL}: the URL must not contain a user name or token; send the token as access_token."
        )
    if not parts.hostname or not _HOST.match(parts.hostname):
        raise UrlProblem(f"{INVALID_URL}: the host name is not valid.")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise UrlProblem(f"{INVALID_URL}: query strings and fragments are not allowed.")
    if not _PATH.match(parts.path):
        raise UrlProblem(f"{INVALID_URL}: the repository path is missing or has characters git URLs do not use.")
    if ".." in unquote(parts.path).split("/"):
        raise UrlProblem(f"{INVALID_URL}: the repository path must not contain '..'.")
    return url


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def detect_provider(
    url: str, *, github_hosts: list[str], gitlab_hosts: list[str], bitbucket_hosts: list[str]
) -> GitLocation:
    """Which hosting service serves an already checked remote URL, and the repository path its API uses."""
    netloc = _netloc(url)
    path = urlsplit(url).path.strip("/")
    repo_path = path[:-4] if path.endswith(".git") else path

    def listed(hosts: list[str]) -> bool:
        return netloc in {h.strip().lower() for h in hosts}

    provider = Provider.GENERIC
    if listed(github_hosts):
        provider = Provider.GITHUB
    elif listed(gitlab_hosts):
        provider = Provider.GITLAB
    elif listed(bitbucket_hosts):
        provider = Provider.BITBUCKET
    if provider in (Provider.GITHUB, Provider.BITBUCKET) and repo_path.count("/") != 1:
        # Those hosts serve repositories at exactly owner/name; anything else has no API size.
        provider = Provider.GENERIC
    return GitLocation(url=url.rstrip("/"), provider=provider, host=netloc, repo_path=repo_path or None)


class LocalPathRefused(ValueError):
    """A local repository outside the administrator's allow-list (or local repositories are off)."""


def local_location(url: str, *, allowed_roots: list[str]) -> GitLocation:
    """Resolve a `file:///` URL or absolute path and check it lies under an allowed root (symlinks resolved)."""
    raw_path = unquote(url[len("file://") :]) if url.lower().startswith("file://") else url
    if not allowed_roots:
        raise LocalPathRefused(
            "Local repositories are disabled on this server; an administrator can allow directories with "
            "TRELLIS_REPO_LOCAL_ROOTS."
        )
    resolved = Path(raw_path).resolve()
    for root in allowed_roots:
        root_path = Path(root).resolve()
        if resolved == root_path or resolved.is_relative_to(root_path):
            return GitLocation(url=resolved.as_uri(), provider=Provider.LOCAL, local_path=resolved)
    raise LocalPathRefused("That path is outside the directories local repositories may be connected from.")
