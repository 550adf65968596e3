"""HTTP request: calls an external URL, sending the node run's idempotency key as a header."""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx
from pydantic import Field

from trellis.core.outbound import OutboundDenied, guarded_client
from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeType, PermanentNodeError, TransientNodeError

_MAX_BODY_BYTES = 5 * 1024 * 1024


class HttpRequestConfig(NodeConfig):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: str = Field(min_length=1, description="Template; must render to an http(s) URL.")
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, Any] = Field(default_factory=dict)
    body: Any = Field(default=None, description="JSON body (templates allowed).")
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    fail_on_status: bool = Field(default=True, description="Treat 4xx/5xx answers as node failures.")


def run(context: NodeContext, config: HttpRequestConfig) -> Any:
    url = str(context.render(config.url))
    if not url.startswith(("http://", "https://")):
        raise PermanentNodeError(f"url must start with http:// or https://, got {url[:80]!r}")
    headers = {str(k): str(v) for k, v in context.render(config.headers).items()}
    headers.setdefault("Idempotency-Key", context.idempotency_key)
    headers["X-Trellis-Attempt"] = str(context.attempt)
    body = context.render(config.body) if config.body is not None else None
    denied = context.runtime.settings.outbound_denied_networks
    try:
        with (
            guarded_client(denied, timeout=config.timeout_seconds) as client,
            client.stream(
                config.method, url, headers=headers, params=context.render(config.query), json=body
            ) as response,
        ):
            content = _read_capped(response)
    except OutboundDenied as exc:
        raise PermanentNodeError(f"{config.method} {_safe(url)} refused: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise TransientNodeError(f"{config.method} {_safe(url)} timed out after {config.timeout_seconds} s") from exc
    except httpx.TransportError as exc:
        raise TransientNodeError(f"{config.method} {_safe(url)} failed: {type(exc).__name__}") from exc
    result = {"status": response.status_code, "headers": dict(response.headers), "body": _body(response, content)}
    if config.fail_on_status and response.status_code >= 400:
        message = f"{config.method} {_safe(url)} answered {response.status_code}"
        if response.status_code in (408, 425, 429) or response.status_code >= 500:
            raise TransientNodeError(message)
        raise PermanentNodeError(message)
    return result


def _read_capped(response: httpx.Response) -> bytes:
    """At most _MAX_BODY_BYTES of the body: a huge answer is cut, never held in memory whole."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk[: _MAX_BODY_BYTES - size])
        size += len(chunks[-1])
        if size >= _MAX_BODY_BYTES:
            break
    return b"".join(chunks)


def _body(response: httpx.Response, content: bytes) -> Any:
    if "json" in response.headers.get("content-type", ""):
        try:
            return json.loads(content)
        except ValueError:
            pass
    return content.decode(response.encoding or "utf-8", errors="replace")


def _safe(url: str) -> str:
    # Never echo credentials or query strings (tokens) into errors and logs.
    parsed = httpx.URL(url)
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))


NODE = NodeType(
    type="http_request",
    category="action",
    description="Sends an HTTP request; output: status, headers, body. 5xx/429/timeouts are retried.",
    config_model=HttpRequestConfig,
    run=run,
    side_effects=True,
)
