"""ASGI middleware: request ids, access log, metrics, security headers, last-resort errors, body limit.

Written as plain ASGI (not BaseHTTPMiddleware) so it adds little per request and works for
streaming responses and WebSockets alike.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trellis.core.errors import error_body
from trellis.core.observability import HTTP_REQUEST_DURATION, HTTP_REQUESTS

log = structlog.get_logger("trellis.http")

REQUEST_ID_HEADER = "x-request-id"
CORRELATION_ID_HEADER = "x-correlation-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# Seed 004's list. The API docs pages load their scripts from a CDN, so they get a wider policy.
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"x-xss-protection", b"1; mode=block"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
_CSP_DEFAULT = (
    b"default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'"
)
_CSP_DOCS = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com"
)
_DOCS_PATHS = ("/docs", "/redoc")


def _incoming_id(scope: Scope, header: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == header:
            text = value.decode("latin-1")
            # Only well-formed ids are trusted; anything else could inject into logs.
            return text if _VALID_ID.match(text) else None
    return None


class RequestContextMiddleware:
    """Outermost layer: ids in, ids and security headers out, one log line and metrics per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope, REQUEST_ID_HEADER.encode()) or uuid.uuid4().hex
        correlation_id = _incoming_id(scope, CORRELATION_ID_HEADER.encode()) or request_id
        scope.setdefault("state", {})
        scope["state"]["request_id"] = request_id
        scope["state"]["correlation_id"] = correlation_id
        client_ip = (scope.get("client") or ("-",))[0]
        structlog.contextvars.bind_contextvars(
            request_id=request_id, correlation_id=correlation_id, client_ip=client_ip
        )
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._handle_http(scope, receive, send, request_id, correlation_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "correlation_id", "client_ip")

    async def _handle_http(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, correlation_id: str
    ) -> None:
        started = time.perf_counter()
        path: str = scope["path"]
        csp = _CSP_DOCS if path.startswith(_DOCS_PATHS) else _CSP_DEFAULT
        status_code = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                headers.append((CORRELATION_ID_HEADER.encode(), correlation_id.encode()))
                headers.extend(SECURITY_HEADERS)
                headers.append((b"content-security-policy", csp))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Anything unhandled ends here: full detail to the log, none to the client.
            log.exception("unhandled_error", method=scope["method"], path=path)
            if not response_started:
                body = json.dumps(
                    error_body(
                        "internal_error",
                        "An unexpected error occurred. Quote the correlation id when reporting it.",
                        correlation_id=correlation_id,
                    )
                ).encode()
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send_with_headers({"type": "http.response.body", "body": body})
            status_code = 500
        finally:
            elapsed = time.perf_counter() - started
            template = route_template(scope)
            method = scope["method"]
            HTTP_REQUESTS.labels(method, template, str(status_code)).inc()
            HTTP_REQUEST_DURATION.labels(method, template).observe(elapsed)
            log.info(
                "http_request",
                method=method,
                path=path,
                route=template,
                status=status_code,
                duration_ms=round(elapsed * 1000, 2),
            )


def _too_large_detail(limit: int) -> dict[str, Any]:
    detail: dict[str, Any] = error_body(
        "payload_too_large", f"The request body is larger than the {limit}-byte limit.", limit_bytes=limit
    )["detail"]
    return detail


def route_template(scope: Scope) -> str:
    """The matched route's full template (`/api/v1/jobs/{job_id}`): bounded metric labels, unlike raw paths."""
    # FastAPI >= 0.16x includes routers by reference; the full template lives in its route context.
    context = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(context, "path_format", None) or getattr(scope.get("route"), "path", None)
    return template or "<unmatched>"


class RequestBodyTooLarge(HTTPException):
    """Raised from `receive` when a body outgrows the limit mid-stream.

    An HTTPException so FastAPI's body parsing re-raises it as is (it turns other errors into 400).
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large_detail(limit))  # type: ignore[arg-type]


class BodySizeLimitMiddleware:
    """413 for bodies over the limit: early from Content-Length, or while streaming for chunked bodies."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_too_large(send, self.max_bytes)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestBodyTooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except RequestBodyTooLarge:
            await _send_too_large(send, self.max_bytes)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": _too_large_detail(limit)}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
