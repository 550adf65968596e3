"""What a process needs to talk to one MCP server (decrypted), and the MCP settings of this process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from trellis.mcp.models import McpTransport


@dataclass(frozen=True)
class McpServerConfig:
    """A registered server's configuration with its env and headers decrypted.

    For in-process use only: it is never serialised into a job payload, a response or a log
    (`repr` leaves the secrets out, pickling refuses). Jobs carry the server id and load it again
    with `trellis.mcp.service.load_server_config`.
    """

    server_id: str
    workspace_id: str
    name: str
    type: McpTransport
    command: str | None = None
    args: tuple[str, ...] = ()
    url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    config_version: int = 1

    def secret_values(self) -> list[str]:
        return [*self.env.values(), *self.headers.values()]

    def __reduce__(self) -> NoReturn:
        raise TypeError("McpServerConfig holds decrypted secrets and is never serialised; pass the server id")

    def __hash__(self) -> int:
        return hash((self.server_id, self.config_version))


@dataclass(frozen=True)
class McpSettings:
    connect_timeout_seconds: float = 30.0
    tool_timeout_seconds: float = 60.0
    idle_timeout_seconds: float = 300.0
    allow_stdio: bool = True

    @classmethod
    def from_settings(cls, settings: Any) -> McpSettings:
        return cls(
            connect_timeout_seconds=settings.mcp_connect_timeout_seconds,
            tool_timeout_seconds=settings.mcp_tool_timeout_seconds,
            idle_timeout_seconds=settings.mcp_idle_timeout_seconds,
            allow_stdio=settings.mcp_allow_stdio,
        )


def current_mcp_settings() -> McpSettings:
    """This process's MCP settings: from its Trellis runtime, or the defaults before one is built."""
    from trellis.core.runtime import current_runtime

    try:
        return McpSettings.from_settings(current_runtime().settings)
    except RuntimeError:
        return McpSettings()
