"""The Trellis REST API as the MCP tools see it: every tool call is an API call made with the caller's own token,
so permissions, audit and verification are exactly those of the API. `trellis mcp` reaches the API over HTTP;
the `/mcp` endpoint reaches its own application in-process (no network hop, same routes)."""

from __future__ import annotations

from typing import Any

import httpx
from mcp.server.mcpserver.exceptions import ToolError

# Done reports sync the repository and re-validate: allow for that, not for a hung server.
TIMEOUT_SECONDS = 180.0


class TrellisApi:
    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}", "User-Agent": "trellis-mcp"}

    async def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._client.request(
                method, f"/api/v1{path}", json=json, params=params, headers=self._headers, timeout=TIMEOUT_SECONDS
            )
        except httpx.HTTPError as exc:
            raise ToolError(f"Trellis API unreachable: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            raise ToolError(_error_text(response))
        return response.json() if response.content else None

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params={k: v for k, v in params.items() if v is not None} or None)

    async def get_or_none(self, path: str, *, missing: str, **params: Any) -> Any:
        """GET, or None when the API answers 404 with the error code `missing`."""
        try:
            return await self.get(path, **params)
        except ToolError as exc:
            if str(exc).startswith(f"{missing}:"):
                return None
            raise


def _error_text(response: httpx.Response) -> str:
    """`<error code>: <message>` from the uniform error body, so an agent reads why."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    if isinstance(detail, dict):
        return f"{detail.get('error', response.status_code)}: {detail.get('message', '')}"
    return f"HTTP {response.status_code}: {detail}"
