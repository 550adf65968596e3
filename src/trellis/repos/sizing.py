"""Repository size from the hosting service's REST API, before anything is downloaded.

- GitHub: `GET {api}/repos/{owner}/{repo}` -> `size` in KiB (GitHub's disk usage of the repository).
- GitLab: `GET {api}/projects/{url-encoded path}?statistics=true` -> `statistics.repository_size` in bytes
  (only returned to members with at least Reporter access; otherwise unknown).
- Bitbucket Cloud: `GET {api}/repositories/{workspace}/{slug}` -> `size` in bytes.

The token is sent in an `Authorization` header, only to the configured API base. A 401 means the
token is bad; a 404 means the repository does not exist or the token cannot see it. Anything else
(rate limits, 5xx, no size field, a network error) returns None: the guarded fetch then measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import httpx

from trellis.repos.urls import GitLocation, Provider


@dataclass(frozen=True)
class HostedSize:
    bytes: int
    source: str  # "github_api", "gitlab_api", "bitbucket_api"


class HostingApiRefused(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"hosting API answered {status_code}")
        self.status_code = status_code


def _request(location: GitLocation, api_base: str) -> tuple[str, str, dict[str, str]]:
    path = location.repo_path or ""
    base = api_base.rstrip("/")
    if location.provider is Provider.GITHUB:
        return f"{base}/repos/{path}", "github_api", {"Accept": "application/vnd.github+json"}
    if location.provider is Provider.GITLAB:
        return f"{base}/projects/{quote(path, safe='')}?statistics=true", "gitlab_api", {}
    return f"{base}/repositories/{path}", "bitbucket_api", {}


def _size_from(provider: Provider, body: object) -> int | None:
    if not isinstance(body, dict):
        return None
    if provider is Provider.GITHUB:
        size = body.get("size")
        return int(size) * 1024 if isinstance(size, int | float) else None
    if provider is Provider.GITLAB:
        stats = body.get("statistics")
        size = stats.get("repository_size") if isinstance(stats, dict) else None
        return int(size) if isinstance(size, int | float) else None
    size = body.get("size")
    return int(size) if isinstance(size, int | float) else None


def hosted_size(location: GitLocation, *, api_base: str, token: str | None, timeout: float) -> HostedSize | None:
    """The repository size the host reports, or None when it cannot say. Raises HostingApiRefused on 401/404."""
    if location.provider not in (Provider.GITHUB, Provider.GITLAB, Provider.BITBUCKET) or not location.repo_path:
        return None
    url, source, headers = _request(location, api_base)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        # No redirects: the token must not follow a redirect to another host.
        response = httpx.get(url, headers=headers, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError:
        return None
    if response.status_code in (401, 404):
        raise HostingApiRefused(response.status_code)
    if response.status_code != 200:
        return None
    try:
        size = _size_from(location.provider, response.json())
    except ValueError:
        return None
    return None if size is None else HostedSize(size, source)
