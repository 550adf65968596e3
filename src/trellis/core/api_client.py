"""The CLI's client for a running Trellis: `TRELLIS_API_URL` (default `http://127.0.0.1:$TRELLIS_PORT`)
and `TRELLIS_API_TOKEN` (a personal API token). API errors become one line built from the
uniform error body, never a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import httpx
import typer

DEFAULT_TIMEOUT_SECONDS = 60.0
# Lists of per-item problems some error bodies carry; each item is folded into the one line.
_DETAIL_LISTS = ("problems", "errors", "validation_errors")
_MAX_LISTED = 10


class ApiError(Exception):
    """A failed API call (or no API to call), with the line to show the user."""

    def __init__(self, message: str, *, status_code: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code


def api_base_url() -> str:
    base = os.environ.get("TRELLIS_API_URL") or f"http://127.0.0.1:{os.environ.get('TRELLIS_PORT', '8000')}"
    return base.rstrip("/")


class ApiClient:
    """One HTTP connection pool to `/api/v1` for the length of a command (polling reuses it)."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        token = os.environ.get("TRELLIS_API_TOKEN")
        if not token:
            raise ApiError(
                "set TRELLIS_API_TOKEN to a personal API token (`trellis token create` or POST /api/v1/auth/tokens)"
            )
        self._http = httpx.Client(
            base_url=api_base_url() + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON body (None when empty); ApiError for a transport failure or a 4xx/5xx answer."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError(f"cannot reach Trellis at {api_base_url()}: {exc}") from None
        if response.status_code >= 400:
            raise error_from_response(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                f"{method} {path} answered {response.status_code} with a body that is not JSON "
                f"(is TRELLIS_API_URL={api_base_url()} a Trellis server?)"
            ) from None


def error_from_response(response: httpx.Response) -> ApiError:
    """`<status>: <message>` plus each listed problem, on one line."""
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        text = " ".join(response.text.split())[:300] or response.reason_phrase
        return ApiError(f"{response.status_code}: {text}", status_code=response.status_code)
    if not isinstance(detail, dict):
        return ApiError(f"{response.status_code}: {detail}", status_code=response.status_code)
    message = str(detail.get("message") or detail.get("error") or "request failed")
    items: list[Any] = []
    for key in _DETAIL_LISTS:
        if isinstance(detail.get(key), list):
            items.extend(detail[key])
    if items:
        shown = "; ".join(_describe(item) for item in items[:_MAX_LISTED])
        more = f"; and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else ""
        message = f"{message.rstrip('.')}: {shown}{more}"
    return ApiError(f"{response.status_code}: {message}", status_code=response.status_code, code=detail.get("error"))


def _describe(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    if "loc" in item and "msg" in item:  # FastAPI request validation
        where = ".".join(str(part) for part in item["loc"] if part != "body")
        return f"{where or 'body'}: {item['msg']}"
    if "message" in item:  # graph problems name a node; others may name a field or an index
        subject = item.get("node_id") or item.get("code") or item.get("field") or item.get("index")
        return f"{subject}: {item['message']}" if subject is not None else str(item["message"])
    return json.dumps(item, separators=(",", ":"), default=str)


# ---------------------------------------------------------------- for Typer commands


def fail(message: str, exit_code: int = 1) -> NoReturn:
    typer.secho(f"trellis: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(exit_code)


@contextmanager
def api_session(*, exit_code: int = 1, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Iterator[ApiClient]:
    """A client for one command; any ApiError inside ends the command with one red line and `exit_code`."""
    try:
        with ApiClient(timeout=timeout) as client:
            yield client
    except ApiError as exc:
        fail(exc.message, exit_code)


def call(method: str, path: str, *, exit_code: int = 1, **kwargs: Any) -> Any:
    """One API call for a command that makes only one or two."""
    with api_session(exit_code=exit_code) as client:
        return client.call(method, path, **kwargs)
