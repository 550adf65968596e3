"""Idempotent mutating requests: a retried POST/PUT/PATCH/DELETE runs once and replays its response.

The key is the `Idempotency-Key` header or, when absent, a top-level string `request_id` in a
JSON body (the seeds' convention). Keys are scoped by caller: the SHA-256 of the
`Authorization` header, or "anonymous".

- first use: a `processing` row is inserted (the unique (scope_hash, key) pair picks one winner
  among concurrent requests), the request runs, and its response is stored for
  `TRELLIS_IDEMPOTENCY_TTL_SECONDS`;
- same key, same method, path and body: the stored response is replayed byte for byte with
  `Idempotent-Replayed: true`; while the first is still running, others wait for it (up to
  `wait_seconds`, then 409 `idempotency_request_in_progress`);
- same key, different request: 409 `idempotency_key_reused`; malformed key: 400.

Responses with status >= 500, 429 (a refusal that says "retry later"), unfinished streams and
those a route marks with `exclude_from_idempotency(response)` are not stored: the row is released and a
retry runs again. `Set-Cookie` is never stored. Stored bodies are encrypted (they may carry
fresh credentials, e.g. a sign-in's tokens).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import timedelta
from typing import Literal

import anyio
import anyio.to_thread
import structlog
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trellis.core import idempotency_store as store
from trellis.core.crypto import KeyProvider
from trellis.core.db import Database, utcnow
from trellis.core.errors import error_body
from trellis.core.idempotency_models import IdempotencyState
from trellis.core.idempotency_store import Fingerprint, StoredRequest
from trellis.core.key_providers import key_provider_for

__all__ = ["IdempotencyMiddleware", "exclude_from_idempotency"]

log = structlog.get_logger("trellis.idempotency")

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_HEADER = b"idempotency-key"
REPLAYED_HEADER = (b"idempotent-replayed", b"true")
# Set by a route (see exclude_from_idempotency) and stripped here: "do not keep this response".
SKIP_HEADER = b"x-trellis-idempotency-skip"
_UNSTORED_HEADERS = frozenset({b"set-cookie", b"date", b"server", SKIP_HEADER})
_VALID_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
ANONYMOUS_SCOPE = "anonymous"


def exclude_from_idempotency(response: Response) -> None:
    """Mark a response as not to be stored (it holds secrets, e.g. new tokens): a retry runs again.

    Call it on the response a route returns, or declare it on the route:
    `@router.post(..., dependencies=[Depends(exclude_from_idempotency)])`.
    """
    response.headers[SKIP_HEADER.decode()] = "1"


# ---------------------------------------------------------------- request parsing


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _is_json(scope: Scope) -> bool:
    content_type = (_header(scope, b"content-type") or b"").split(b";", 1)[0].strip().lower()
    return content_type == b"application/json" or content_type.endswith(b"+json")


def _request_id(body: bytes) -> str | None:
    if b'"request_id"' not in body:  # skip parsing the common case
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None  # the route answers malformed JSON itself
    value = document.get("request_id") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body (already size-limited outside), or None if the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """Give the app the buffered body, then the real channel (for disconnect notices)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _path(scope: Scope) -> str:
    query = scope.get("query_string", b"")
    path: str = scope["path"]
    return path + ("?" + query.decode("latin-1") if query else "")


# ---------------------------------------------------------------- responses


async def _send_bytes(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await _send_bytes(send, status, headers, body)


async def _replay(send: Send, stored: StoredRequest) -> None:
    assert stored.status is not None
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.headers or []]
    headers.append(REPLAYED_HEADER)
    await _send_bytes(send, stored.status, headers, stored.body or b"")


class _Capture:
    """Copies the response on its way out, so it can be stored once complete."""

    def __init__(self, send: Send, max_bytes: int) -> None:
        self._send = send
        self._max_bytes = max_bytes
        self.status = 0
        self.headers: list[list[str]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = False
        self.skip = False
        self._client_gone = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            raw = list(message.get("headers", []))
            self.skip = any(name.lower() == SKIP_HEADER for name, _ in raw)
            if self.skip:
                message = {**message, "headers": [(n, v) for n, v in raw if n.lower() != SKIP_HEADER]}
            self.headers = [
                [name.decode("latin-1"), value.decode("latin-1")]
                for name, value in raw
                if name.lower() not in _UNSTORED_HEADERS
            ]
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size <= self._max_bytes:
                self.chunks.append(chunk)
            self.complete = not message.get("more_body", False)
        if self._client_gone:
            return
        try:
            await self._send(message)
        except OSError:
            # The client left; the work is done, so keep its response for the retry that will follow.
            self._client_gone = True

    @property
    def storable(self) -> bool:
        # 5xx and 429 mean "try again"; replaying them would make the retry pointless.
        status_ok = 0 < self.status < 500 and self.status != 429
        return status_ok and self.complete and not self.skip and self.size <= self._max_bytes


# ---------------------------------------------------------------- middleware

Outcome = Literal["ran", "replayed", "reused", "in_progress"]


class IdempotencyMiddleware:
    """Pure ASGI; sits inside the body-size limit, so the buffered body is bounded."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        ttl_seconds: float = 86400,
        wait_seconds: float = 30.0,
        processing_lease_seconds: float = 300.0,
        max_stored_bytes: int = 10 * 1024 * 1024,
        database: Database | None = None,
    ) -> None:
        self.app = app
        self.ttl = timedelta(seconds=ttl_seconds)
        self.wait_seconds = wait_seconds
        # A `processing` row older than this belongs to a process that died mid-request: a retry may take over.
        self.lease = min(timedelta(seconds=processing_lease_seconds), self.ttl)
        self.max_stored_bytes = max_stored_bytes
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING_METHODS:
            await self.app(scope, receive, send)
            return
        header_key = _header(scope, KEY_HEADER)
        if header_key is None and not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # nobody left to answer
        receive = _replaying(body, receive)
        key = header_key.decode("latin-1") if header_key is not None else _request_id(body)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _VALID_KEY.match(key):
            source = "Idempotency-Key header" if header_key is not None else "request_id field"
            await _send_error(
                send, 400, "invalid_idempotency_key", f"The {source} must be 1 to 255 printable ASCII characters."
            )
            return
        authorization = _header(scope, b"authorization")
        fingerprint = Fingerprint(
            scope_hash=hashlib.sha256(authorization).hexdigest() if authorization is not None else ANONYMOUS_SCOPE,
            key=key,
            method=scope["method"],
            path=_path(scope),
            request_hash=hashlib.sha256(body).hexdigest(),
        )
        database = self.database or scope["app"].state.runtime.database
        outcome = await self._run_once(database, fingerprint, scope, receive, send)
        if outcome != "ran":
            log.info("idempotency_" + outcome, method=fingerprint.method, path=scope["path"])

    async def _run_once(
        self, database: Database, fingerprint: Fingerprint, scope: Scope, receive: Receive, send: Send
    ) -> Outcome:
        deadline = anyio.current_time() + self.wait_seconds
        delay = 0.02
        while True:
            record_id = await anyio.to_thread.run_sync(store.try_insert, database, fingerprint, self.lease)
            if record_id is not None:
                await self._execute(database, record_id, scope, receive, send)
                return "ran"
            stored = await anyio.to_thread.run_sync(
                store.load, database, fingerprint.scope_hash, fingerprint.key, _key_provider(scope)
            )
            if stored is not None and stored.expires_at <= utcnow():
                # Expired (or abandoned mid-request): it counts as absent; clear it and claim again.
                await anyio.to_thread.run_sync(store.delete_if_expired, database, stored.id)
                continue
            if stored is not None:
                if (stored.method, stored.path, stored.request_hash) != (
                    fingerprint.method,
                    fingerprint.path,
                    fingerprint.request_hash,
                ):
                    await _send_error(
                        send,
                        409,
                        "idempotency_key_reused",
                        "This idempotency key was already used for a different request "
                        "(method, path or body); use a new key for a new request.",
                    )
                    return "reused"
                if stored.state == IdempotencyState.COMPLETED:
                    await _replay(send, stored)
                    return "replayed"
            # Still running elsewhere (or released a moment ago): wait, then look again.
            if anyio.current_time() >= deadline:
                await _send_error(
                    send,
                    409,
                    "idempotency_request_in_progress",
                    "A request with this idempotency key is still being processed; retry later.",
                )
                return "in_progress"
            await anyio.sleep(delay)
            delay = min(delay * 2, 0.25)

    async def _execute(
        self, database: Database, record_id: uuid.UUID, scope: Scope, receive: Receive, send: Send
    ) -> None:
        capture = _Capture(send, self.max_stored_bytes)
        try:
            await self.app(scope, receive, capture.send)
        except BaseException:
            # Failed (500 from the outer layer) or cancelled: free the key so a retry can run.
            with anyio.CancelScope(shield=True):
                await _release_quietly(database, record_id)
            raise
        if capture.storable:
            body = b"".join(capture.chunks)
            await anyio.to_thread.run_sync(
                store.complete,
                database,
                record_id,
                capture.status,
                capture.headers,
                body,
                self.ttl,
                _key_provider(scope),
            )
        else:
            await anyio.to_thread.run_sync(store.release, database, record_id)


def _key_provider(scope: Scope) -> KeyProvider:
    return key_provider_for(scope["app"].state.runtime.settings)


async def _release_quietly(database: Database, record_id: uuid.UUID) -> None:
    """Release during error handling: a second failure must not hide the first (the lease expires anyway)."""
    try:
        await anyio.to_thread.run_sync(store.release, database, record_id)
    except Exception:
        log.warning("idempotency_release_failed", record_id=str(record_id), exc_info=True)
