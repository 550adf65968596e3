"""Whether a server's fields fit its transport: pure checks, each failure a 422 naming the field."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from trellis.core.errors import InvalidInput
from trellis.mcp.models import McpTransport
from trellis.mcp.schemas import MASKED


def invalid_field(field: str, message: str) -> InvalidInput:
    return InvalidInput(
        f"The request is invalid: body.{field}: {message}.",
        errors=[{"loc": ["body", field], "msg": message, "type": "value_error"}],
    )


def check_url(url: str | None) -> None:
    if not url:
        raise invalid_field("url", "required for sse and streamable_http servers")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise invalid_field("url", "must be an http:// or https:// URL with a host") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(ch.isspace() for ch in url):
        raise invalid_field("url", "must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise invalid_field("url", "must not contain credentials; send them as a header (e.g. Authorization)")


def check_shape(values: dict[str, Any]) -> None:
    transport = McpTransport(values["type"])
    if transport is McpTransport.STDIO:
        if not values.get("command"):
            raise invalid_field("command", "required for stdio servers")
        for field in ("url", "headers"):
            if values.get(field):
                raise invalid_field(field, "not used by stdio servers")
    else:
        check_url(values.get("url"))
        for field in ("command", "args", "env"):
            if values.get(field):
                raise invalid_field(field, f"only used by stdio servers, not {transport.value}")


def merge_secret_map(field: str, stored: dict[str, str], given: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in given.items():
        if value == MASKED:
            if name not in stored:
                raise invalid_field(
                    f"{field}.{name}", f"'{MASKED}' keeps a stored value, but none is stored under this name"
                )
            merged[name] = stored[name]
        else:
            merged[name] = value
    return merged
