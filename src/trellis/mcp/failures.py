"""Turning an exception from an MCP transport into one clear sentence that carries no secret."""

from __future__ import annotations

import asyncio

import httpx2
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

from trellis.mcp.config import McpServerConfig
from trellis.mcp.errors import (
    McpCallRejected,
    McpError,
    McpServerRejected,
    McpServerUnavailable,
    McpTimeout,
    mask_secrets,
)
from trellis.mcp.models import McpTransport


def leaf_exception(exc: BaseException) -> BaseException:
    """The first real error inside the exception groups anyio task groups wrap errors in."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _reason(config: McpServerConfig, exc: BaseException) -> tuple[str, type[McpError]]:
    if isinstance(exc, MCPError):
        if exc.code == CONNECTION_CLOSED:
            if config.type is McpTransport.STDIO:
                return (
                    "the process exited or closed its output before completing the MCP handshake",
                    McpServerUnavailable,
                )
            return "the server closed the connection", McpServerUnavailable
        if exc.code == REQUEST_TIMEOUT:
            return "the server did not answer in time", McpTimeout
        return f"the server answered with error {exc.code}: {exc.message}", McpCallRejected
    if isinstance(exc, FileNotFoundError):
        return f"the command {config.command!r} was not found", McpServerUnavailable
    if isinstance(exc, PermissionError):
        return f"the command {config.command!r} may not be executed", McpServerUnavailable
    if isinstance(exc, httpx2.HTTPStatusError):
        status = exc.response.status_code
        permanent = 400 <= status < 500 and status not in (408, 429)
        return f"the server answered HTTP {status}", McpServerRejected if permanent else McpServerUnavailable
    if isinstance(exc, httpx2.TimeoutException | TimeoutError | asyncio.TimeoutError):
        return "the server did not answer in time", McpTimeout
    if isinstance(exc, httpx2.ConnectError):
        return "the connection was refused or the host could not be reached", McpServerUnavailable
    if isinstance(exc, httpx2.HTTPError | OSError | ConnectionError):
        return f"{type(exc).__name__}: {exc}", McpServerUnavailable
    return f"{type(exc).__name__}: {exc}", McpServerUnavailable


def describe_failure(
    config: McpServerConfig, exc: BaseException, *, stderr_tail: str = "", http_status: int | None = None
) -> McpError:
    """A connect failure as a domain error whose message names the server and the reason, masked."""
    reason, error_type = _reason(config, leaf_exception(exc))
    if http_status is not None:
        reason = f"the server answered HTTP {http_status}"
        error_type = McpServerUnavailable if http_status in (408, 429) or http_status >= 500 else McpServerRejected
    message = f"Could not connect to MCP server {config.name!r} ({config.type.value}): {reason}."
    if stderr_tail:
        message += f" Its stderr ends with: {stderr_tail}"
    return error_type(mask_secrets(message, config.secret_values()), server_id=config.server_id)


def describe_call_failure(config: McpServerConfig, tool: str, exc: BaseException) -> McpError:
    reason, error_type = _reason(config, leaf_exception(exc))
    message = f"Calling tool {tool!r} on MCP server {config.name!r} failed: {reason}."
    return error_type(mask_secrets(message, config.secret_values()), server_id=config.server_id, tool=tool)
