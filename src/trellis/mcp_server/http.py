"""`/mcp`: the MCP server over streamable HTTP inside the Trellis app, for agents holding a personal API token.

Every request must carry `Authorization: Bearer trl_...` (a personal API token, not a 15-minute session JWT): without
one, or with one that is revoked or expired, the answer is 401 with the uniform error body before any MCP handling.
Each tool call then calls the app's own REST routes in-process with that same token, so the token owner's workspace
permissions apply exactly as they do over REST. Stateless mode: no MCP session is held between requests, so any
API process behind a load balancer can answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from trellis.auth.dependencies import resolve_principal
from trellis.auth.service import API_TOKEN_PREFIX
from trellis.core.errors import RateLimited, Unauthorized
from trellis.core.ratelimit import internal_call_headers
from trellis.core.runtime import Runtime
from trellis.mcp_server.api import TrellisApi
from trellis.mcp_server.tools import build_server


def bearer(headers: Any) -> str | None:
    value = headers.get("authorization") if headers else None
    if not value:
        return None
    scheme, _, credential = str(value).partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


class McpHttpEndpoint:
    """An ASGI app: authenticate, then hand the request to the MCP SDK's streamable HTTP session manager."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.runtime = runtime
        # In-process calls to our own routes, marked so the request is not counted against the limits a second time.
        self._api_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://trellis.internal", headers=internal_call_headers()
        )
        self.server = build_server(self._api_for)
        # Builds the SDK's session manager (stateless, JSON responses); we call it directly below.
        self.server.streamable_http_app(stateless_http=True, json_response=True)
        self.manager = self.server.session_manager

    async def _api_for(self, ctx: Context) -> TrellisApi:
        token = bearer(ctx.headers)
        if token is None:  # unreachable through __call__, which refuses such requests
            raise ToolError("not_authenticated: send Authorization: Bearer <personal API token>.")
        return TrellisApi(self._api_client, token)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            try:
                yield
            finally:
                await self._api_client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        token = bearer(headers)
        if token is None or not token.startswith(API_TOKEN_PREFIX):
            await _refuse(
                send,
                401,
                "not_authenticated",
                "Send `Authorization: Bearer <personal API token>` (trellis token create).",
            )
            return
        try:
            await run_in_threadpool(resolve_principal, self.runtime, token)
        except Unauthorized as exc:
            await _refuse(send, 401, exc.code, exc.message)
            return
        except RateLimited as exc:
            await _refuse(send, 429, exc.code, exc.message, retry_after=exc.retry_after)
            return
        await self.manager.handle_request(scope, receive, send)


async def _refuse(send: Send, status: int, code: str, message: str, *, retry_after: int | None = None) -> None:
    body = json.dumps({"detail": {"error": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer error="invalid_token"'))
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
