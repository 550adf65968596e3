"""MCP server API shapes. No read shape carries an env or header value: names only, values masked."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trellis.mcp.models import McpServerStatus, McpTransport

MASKED = "***"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# RFC 9110 token characters.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")
MAX_VALUE_CHARS = 16 * 1024
MAX_ENTRIES = 100


def _no_control(value: str, *, allow_tab: bool = False) -> bool:
    return not any((ord(ch) < 32 and not (allow_tab and ch == "\t")) or ord(ch) == 127 for ch in value)


def _check_env(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    if len(value) > MAX_ENTRIES:
        raise ValueError(f"at most {MAX_ENTRIES} variables")
    for name, text in value.items():
        if not _ENV_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid environment variable name (letters, digits, _; not first digit)")
        if len(text) > MAX_VALUE_CHARS or "\x00" in text:
            raise ValueError(f"the value of {name} is too long or contains a NUL byte")
    return value


def _check_headers(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    if len(value) > MAX_ENTRIES:
        raise ValueError(f"at most {MAX_ENTRIES} headers")
    for name, text in value.items():
        if not _HEADER_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid HTTP header name")
        if len(text) > MAX_VALUE_CHARS or not _no_control(text, allow_tab=True):
            raise ValueError(f"the value of header {name} is too long or contains control characters")
    return value


class _ServerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(None, max_length=2000)
    command: str | None = Field(None, max_length=4096, description="stdio: the executable to run.")
    args: list[str] | None = Field(None, max_length=200, description="stdio: its arguments (visible in `ps`).")
    url: str | None = Field(None, max_length=2048, description="sse / streamable_http: the http(s) endpoint.")
    env: dict[str, str] | None = Field(
        None,
        description="stdio: environment variables for the process (secrets belong here, not in args). "
        f"Stored encrypted; read back as names with `{MASKED}` values. In an update, `{MASKED}` keeps a stored value.",
    )
    headers: dict[str, str] | None = Field(
        None,
        description="sse / streamable_http: HTTP headers sent on every request (e.g. Authorization). "
        "Stored encrypted; read back masked like env.",
    )

    @field_validator("command")
    @classmethod
    def _clean_command(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        if not _no_control(value):
            raise ValueError("must not contain control characters")
        return value

    @field_validator("args")
    @classmethod
    def _clean_args(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(len(arg) > 4096 or "\x00" in arg for arg in value):
            raise ValueError("each argument must be under 4096 characters without NUL bytes")
        return value

    @field_validator("url")
    @classmethod
    def _clean_url(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @field_validator("env")
    @classmethod
    def _clean_env(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _check_env(value)

    @field_validator("headers")
    @classmethod
    def _clean_headers(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _check_headers(value)


def _clean_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if not _no_control(value):
        raise ValueError("must not contain control characters")
    return value


class McpServerCreate(_ServerFields):
    workspace_id: uuid.UUID | None = Field(None, description="Defaults to your personal workspace.")
    name: str = Field(min_length=1, max_length=100, description="Unique within the workspace.")
    type: McpTransport

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _clean_name(value)


class McpServerUpdate(_ServerFields):
    """Fields left out keep their value; the result is validated as a whole."""

    name: str | None = Field(None, min_length=1, max_length=100)
    type: McpTransport | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else _clean_name(value)


class McpToolRead(BaseModel):
    name: str
    title: str | None = None
    description: str | None = None
    input_schema: dict[str, Any] = Field(default_factory=dict)
    output_schema: dict[str, Any] | None = None
    annotations: dict[str, Any] | None = None


class McpServerRead(BaseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    description: str | None
    type: McpTransport
    command: str | None
    args: list[str]
    url: str | None
    env: dict[str, str] = Field(description=f"Variable names, each value shown as `{MASKED}`.")
    headers: dict[str, str] = Field(description=f"Header names, each value shown as `{MASKED}`.")
    capabilities: dict[str, Any]
    server_info: dict[str, Any] | None
    protocol_version: str | None
    tool_count: int
    status: McpServerStatus
    last_connected_at: datetime | None
    last_error: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class McpServerList(BaseModel):
    items: list[McpServerRead]
    total: int
    limit: int
    offset: int


class McpToolList(BaseModel):
    server_id: uuid.UUID
    source: Literal["live", "cache"] = Field(
        description="`live`: just listed by a connected session; `cache`: the list stored at the last connect."
    )
    fetched_at: datetime | None
    status: McpServerStatus
    items: list[McpToolRead]
