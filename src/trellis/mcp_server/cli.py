"""`trellis mcp`: the MCP server on stdin/stdout, for coding agents that start their tools as processes.

It talks to a running Trellis API (`TRELLIS_API_URL`, default `http://127.0.0.1:$TRELLIS_PORT`) with a personal
API token (`TRELLIS_API_TOKEN`), like every other `trellis` command that drives the server: done reports need the
server's job runner (repository sync) and the token owner's permissions are enforced by the API itself.
"""

from __future__ import annotations

import os

import typer


def mcp_command() -> None:
    """Serve Trellis's tools for coding agents over MCP stdio (TRELLIS_API_URL, TRELLIS_API_TOKEN)."""
    import anyio
    import httpx
    from mcp.server.mcpserver import Context

    from trellis.core.api_client import api_base_url
    from trellis.mcp_server.api import TrellisApi
    from trellis.mcp_server.tools import build_server

    token = os.environ.get("TRELLIS_API_TOKEN")
    if not token:
        typer.secho(
            "trellis: set TRELLIS_API_TOKEN to a personal API token (`trellis token create`)",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)

    async def serve() -> None:
        async with httpx.AsyncClient(base_url=api_base_url()) as client:
            api = TrellisApi(client, token)

            async def api_for(_ctx: Context) -> TrellisApi:
                return api

            # stdout is the protocol channel: nothing else may be printed to it.
            await build_server(api_for).run_stdio_async()

    anyio.run(serve)
