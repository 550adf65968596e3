"""MCP failures as domain errors, and the masking that keeps a server's secrets out of their messages.

`transient` tells the engine's retry policy whether trying again later can help (a server that
did not start or answer may next time; a server that rejected the call will reject it again).
"""

from __future__ import annotations

from collections.abc import Iterable

from trellis.core.errors import NotFound, TrellisError
from trellis.core.masking import REDACTED, mask_text

# Secrets shorter than this are not searched for in free text: replacing "1" or "on" everywhere would
# garble every message while protecting nothing worth protecting.
_MIN_SECRET_CHARS = 3
MAX_ERROR_CHARS = 2000


class McpServerNotFound(NotFound):
    code = "mcp_server_not_found"


class McpError(TrellisError):
    status_code = 502
    code = "mcp_error"
    transient = False


class McpServerUnavailable(McpError):
    """The server could not be started, reached or initialized, or its connection dropped."""

    status_code = 502
    code = "mcp_connect_failed"
    transient = True


class McpServerRejected(McpError):
    """The server refused us outright (HTTP 401/403/404 ...): trying again will not help until it is reconfigured."""

    code = "mcp_connect_rejected"


class McpTimeout(McpError):
    status_code = 504
    code = "mcp_timeout"
    transient = True


class McpCallRejected(McpError):
    """The server answered a request with a JSON-RPC error (unknown tool, invalid arguments, ...)."""

    code = "mcp_call_rejected"


class McpStdioDisabled(McpError):
    status_code = 403
    code = "mcp_stdio_disabled"


def secret_fragments(values: Iterable[str]) -> list[str]:
    """Every stored env/header value, plus the credential part of `Bearer <token>`-style values."""
    fragments: set[str] = set()
    for value in values:
        for candidate in (value, *value.split()):
            candidate = candidate.strip()
            if len(candidate) >= _MIN_SECRET_CHARS:
                fragments.add(candidate)
    # Longest first, so a value that contains another is replaced whole.
    return sorted(fragments, key=len, reverse=True)


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` without any of `secrets` (exact occurrences) nor anything shaped like a credential."""
    for secret in secret_fragments(secrets):
        text = text.replace(secret, REDACTED)
    text = mask_text(text)
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 3] + "..."
    return text
