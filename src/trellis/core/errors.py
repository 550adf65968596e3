"""Domain exceptions and the handlers that turn every failure into the uniform error body.

Body shape everywhere: `{"detail": {"error": "<snake_case_code>", "message": "<sentence>", ...extra}}`.
Services raise subclasses of `TrellisError`; they never import FastAPI.
"""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger("trellis.errors")


class TrellisError(Exception):
    """Base of every domain error: an HTTP status, a stable code and a human message."""

    status_code: int = 400
    code: str = "bad_request"
    # Extra response headers (e.g. Retry-After); None for most errors.
    headers: dict[str, str] | None = None
    # True when the changes made before the error must still be committed (`DbRunner`).
    keeps_changes: bool = False

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra

    def to_detail(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


class NotFound(TrellisError):
    status_code = 404
    code = "not_found"


class Conflict(TrellisError):
    status_code = 409
    code = "conflict"


class PermissionDenied(TrellisError):
    status_code = 403
    code = "forbidden"


class Unauthorized(TrellisError):
    status_code = 401
    code = "unauthorized"


class InvalidInput(TrellisError):
    status_code = 422
    code = "validation_error"


class PayloadTooLarge(TrellisError):
    status_code = 413
    code = "payload_too_large"


class ServiceUnavailable(TrellisError):
    status_code = 503
    code = "service_unavailable"


class RateLimited(TrellisError):
    """429 with `Retry-After` (whole seconds, rounded up) and `retry_after` in the body."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after_seconds: float) -> None:
        seconds = max(1, math.ceil(retry_after_seconds))
        super().__init__(f"Too many requests; retry in {seconds} seconds.", retry_after=seconds)
        self.retry_after = seconds
        self.headers = {"Retry-After": str(seconds)}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"detail": {"error": code, "message": message, **extra}}


def error_response(status_code: int, code: str, message: str, *, headers: Any = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status_code, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


async def _trellis_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TrellisError)
    return JSONResponse({"detail": exc.to_detail()}, status_code=exc.status_code, headers=exc.headers)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if isinstance(exc.detail, dict) and "error" in exc.detail:
        return JSONResponse({"detail": exc.detail}, status_code=status, headers=exc.headers)
    code = _HTTP_CODES.get(status, "http_error")
    if status == 404:
        message = f"No route or resource at {request.url.path}."
    elif status == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    elif isinstance(exc.detail, str) and exc.detail:
        message = exc.detail
    else:
        message = HTTPStatus(status).phrase
    return error_response(status, code, message, headers=exc.headers)


def _location(loc: Any) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        reason = (malformed.get("ctx") or {}).get("error", "invalid JSON")
        position = malformed["loc"][-1] if malformed.get("loc") else None
        where = f" at character {position}" if isinstance(position, int) else ""
        return error_response(400, "malformed_json", f"The request body is not valid JSON: {reason}{where}.")
    # The offending input is deliberately not echoed back: it may be a password or a token.
    cleaned = [{"loc": _location(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
    summary = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in cleaned[:5])
    return error_response(422, "validation_error", f"The request is invalid: {summary}.", errors=cleaned)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TrellisError, _trellis_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
