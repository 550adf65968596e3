"""Who is calling: `CurrentPrincipal` for routes, `authenticate_websocket` for sockets."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request, WebSocket
from starlette.concurrency import run_in_threadpool

from trellis.auth import service
from trellis.auth.principal_cache import principal_cache
from trellis.auth.service import Principal
from trellis.core.errors import Unauthorized
from trellis.core.ratelimit import INTERNAL_CALL_HEADER, enforce_rate_limit, is_internal_call
from trellis.core.runtime import Runtime


def _bearer_from_header(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credential = value.partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


def resolve_principal(runtime: Runtime, bearer: str, *, count: bool = True) -> Principal:
    """Blocking: validate a bearer credential against the database (or the moment-long cache of that, see
    principal_cache), and count it against the user's limit (`count=False` for this process's own calls on behalf
    of a request that was counted already)."""
    settings = runtime.settings
    principal = principal_cache.get(bearer)
    if principal is None:
        with runtime.database.read_session_factory() as db_session:
            principal = service.authenticate(db_session, settings=settings, bearer=bearer)
        principal_cache.put(bearer, principal, seconds=settings.auth_cache_seconds)
    if count:
        enforce_rate_limit(runtime, f"user:{principal.user_id}", settings.rate_limit_per_user, name="per_user")
    if principal.token_id is not None and principal.token_use_is_stale:
        with runtime.database.session_factory() as db_session:
            service.touch_api_token(db_session, token_id=principal.token_id)
            db_session.commit()
        principal = principal_cache.touched(bearer, principal, seconds=settings.auth_cache_seconds)
    return principal


class NotAuthenticated(Unauthorized):
    code = "not_authenticated"

    def __init__(self) -> None:
        super().__init__("Sign in first: send `Authorization: Bearer <access token or API token>`.")
        self.headers = {"WWW-Authenticate": "Bearer"}


async def get_current_principal(request: Request) -> Principal:
    bearer = _bearer_from_header(request.headers.get("authorization"))
    if bearer is None:
        raise NotAuthenticated()
    runtime: Runtime = request.app.state.runtime
    try:
        count = not is_internal_call(request.headers.get(INTERNAL_CALL_HEADER))
        principal = await run_in_threadpool(resolve_principal, runtime, bearer, count=count)
    except Unauthorized as exc:
        exc.headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise
    request.state.principal = principal
    structlog.contextvars.bind_contextvars(user_id=str(principal.user_id))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    from trellis.core.errors import PermissionDenied

    if not principal.is_admin:
        raise PermissionDenied("Only Trellis administrators may do this.")
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


async def authenticate_websocket(websocket: WebSocket, bearer: str | None) -> Principal | None:
    """A principal for a WebSocket token (query parameter or first message), None when it is not valid."""
    if not bearer:
        return None
    try:
        return await run_in_threadpool(resolve_principal, websocket.app.state.runtime, bearer)
    except Unauthorized:
        return None
