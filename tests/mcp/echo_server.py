"""A real MCP server over HTTP for the tests, built with the SDK's MCPServer (FastMCP in mcp 1.x).

    python tests/mcp/echo_server.py --transport streamable_http|sse --port 8123 --token SECRET

Every request must carry `Authorization: Bearer <token>` (401 otherwise), so a test proves that the
stored, encrypted headers reach the server.
"""

from __future__ import annotations

import argparse

import anyio
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from starlette.types import ASGIApp, Receive, Scope, Send


def build_server() -> MCPServer:
    server = MCPServer("echo-test", version="1.0.0")

    @server.tool(description="Return the text unchanged.")
    def echo(text: str) -> str:
        return text

    @server.tool(description="Add two integers.")
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool(description="Wait, then answer (for timeouts).")
    async def sleep(seconds: float) -> str:
        await anyio.sleep(seconds)
        return "slept"

    @server.tool(description="Always fails with the given message.")
    def fail(message: str) -> str:
        raise ToolError(message)

    return server


class RequireBearer:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != self.expected:
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"missing or wrong bearer token"})
            return
        await self.app(scope, receive, send)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", choices=["sse", "streamable_http"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    options = parser.parse_args()
    server = build_server()
    app = server.sse_app() if options.transport == "sse" else server.streamable_http_app()
    uvicorn.run(RequireBearer(app, options.token), host="127.0.0.1", port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
