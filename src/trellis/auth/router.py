"""`/api/v1/auth`: seed 004's sign-in endpoints plus password accounts, sessions and API tokens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from trellis.auth import service
from trellis.auth.dependencies import CurrentPrincipal
from trellis.auth.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    LoginRequest,
    OtpRequest,
    OtpRequested,
    OtpVerifyRequest,
    Outbox,
    OutboxMessage,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    SessionRead,
    SessionsEnded,
    TokenResponse,
    TokenUser,
    UserRead,
)
from trellis.core.db import Db, ReadDb
from trellis.core.errors import NotFound
from trellis.core.mail import DevOutbox
from trellis.core.ratelimit import rate_limit

router = APIRouter(prefix="/auth", tags=["auth"])
dev_router = APIRouter(prefix="/dev", tags=["dev"])


def _client(request: Request) -> service.ClientInfo:
    return service.ClientInfo(
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _token_response(issued: service.IssuedTokens) -> TokenResponse:
    user = issued.user
    return TokenResponse(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        user=TokenUser(id=user.id, email=user.email, full_name=user.full_name),
    )


@router.post(
    "/register",
    response_model=TokenResponse,
    status_code=201,
    dependencies=[Depends(rate_limit("auth.register", "10/15minutes", key="ip"))],
)
async def register(body: RegisterRequest, request: Request, db: Db) -> TokenResponse:
    """Create an account with email and password (and its personal workspace), signed in."""
    settings = request.app.state.settings
    issued = await db.run(
        lambda s: service.register(
            s,
            settings=settings,
            email=body.email,
            password=body.password,
            full_name=body.full_name,
            client=_client(request),
        )
    )
    return _token_response(issued)


@router.post(
    "/login", response_model=TokenResponse, dependencies=[Depends(rate_limit("auth.login", "10/15minutes", key="ip"))]
)
async def login(body: LoginRequest, request: Request, db: Db) -> TokenResponse:
    settings = request.app.state.settings
    issued = await db.run(
        lambda s: service.login(s, settings=settings, email=body.email, password=body.password, client=_client(request))
    )
    return _token_response(issued)


@router.post("/request-otp", response_model=OtpRequested)
async def request_otp(body: OtpRequest, request: Request, db: Db) -> OtpRequested:
    """Mail a 6-digit sign-in code (valid 5 minutes). The answer is the same whether or not the account exists."""
    runtime = request.app.state.runtime
    code = await db.run(
        lambda s: service.request_otp(
            s, settings=runtime.settings, email=body.email, purpose=body.purpose, client=_client(request)
        )
    )
    await runtime.mailer.send(service.sign_in_code_mail(body.email, code))
    return OtpRequested(success=True, message="OTP sent to email", expires_in=int(service.OTP_LIFETIME.total_seconds()))


@router.post(
    "/verify-otp",
    response_model=TokenResponse,
    dependencies=[Depends(rate_limit("auth.verify_otp", "10/15minutes", key="ip"))],
)
async def verify_otp(body: OtpVerifyRequest, request: Request, db: Db) -> TokenResponse:
    settings = request.app.state.settings
    issued = await db.run(
        lambda s: service.verify_otp(s, settings=settings, email=body.email, code=body.code, client=_client(request))
    )
    return _token_response(issued)


@router.post(
    "/refresh",
    response_model=TokenResponse,
    dependencies=[Depends(rate_limit("auth.refresh", "60/15minutes", key="ip"))],
)
async def refresh(body: RefreshRequest, request: Request, db: Db) -> TokenResponse:
    """Trade a refresh token for a new pair. Each refresh token works once; a reused one ends the session."""
    settings = request.app.state.settings
    issued = await db.run(lambda s: service.refresh_session(s, settings=settings, refresh_token=body.refresh_token))
    return _token_response(issued)


@router.post("/logout", status_code=204)
async def logout(principal: CurrentPrincipal, db: Db) -> Response:
    await db.run(lambda s: service.logout(s, principal=principal))
    return Response(status_code=204)


@router.post("/logout-all", response_model=SessionsEnded)
async def logout_all(principal: CurrentPrincipal, db: Db) -> SessionsEnded:
    """End every session of this account (all devices)."""
    ended = await db.run(lambda s: service.logout_everywhere(s, principal=principal))
    return SessionsEnded(sessions_ended=ended)


@router.get("/me", response_model=UserRead)
async def me(principal: CurrentPrincipal, db: ReadDb) -> UserRead:
    return await db.run(
        lambda s: UserRead.model_validate(service.update_profile(s, user_id=principal.user_id, changes={}))
    )


@router.patch("/me", response_model=UserRead)
async def update_me(body: ProfileUpdate, principal: CurrentPrincipal, db: Db) -> UserRead:
    changes = body.model_dump(exclude_unset=True)
    return await db.run(
        lambda s: UserRead.model_validate(service.update_profile(s, user_id=principal.user_id, changes=changes))
    )


@router.get("/sessions", response_model=list[SessionRead])
async def list_sessions(principal: CurrentPrincipal, db: ReadDb) -> list[SessionRead]:
    sessions = await db.run(
        lambda s: [SessionRead.model_validate(row) for row in service.list_sessions(s, user_id=principal.user_id)]
    )
    return [session.model_copy(update={"current": session.id == principal.session_id}) for session in sessions]


@router.get("/tokens", response_model=list[ApiTokenRead])
async def list_tokens(principal: CurrentPrincipal, db: ReadDb) -> list[ApiTokenRead]:
    return await db.run(
        lambda s: [
            ApiTokenRead.model_validate(token) for token in service.list_api_tokens(s, user_id=principal.user_id)
        ]
    )


@router.post("/tokens", response_model=ApiTokenCreated, status_code=201)
async def create_token(body: ApiTokenCreate, principal: CurrentPrincipal, db: Db) -> ApiTokenCreated:
    """Create a personal API token. The secret is in this response only."""

    def create(s):  # type: ignore[no-untyped-def]
        token, secret = service.create_api_token(
            s, user_id=principal.user_id, name=body.name, scope=body.scope, expires_in_days=body.expires_in_days
        )
        return ApiTokenCreated(**ApiTokenRead.model_validate(token).model_dump(), token=secret)

    return await db.run(create)


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(token_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> Response:
    await db.run(lambda s: service.revoke_api_token(s, user_id=principal.user_id, token_id=token_id))
    return Response(status_code=204)


@dev_router.get("/outbox", response_model=Outbox)
async def dev_outbox(request: Request, to: str | None = None) -> Outbox | JSONResponse:
    """Development only (no SMTP configured, not production): the mail Trellis would have sent."""
    mailer = request.app.state.runtime.mailer
    if not request.app.state.settings.dev_outbox_enabled or not isinstance(mailer, DevOutbox):
        raise NotFound("The dev outbox exists only without SMTP and outside production.", code="not_found")
    return Outbox(
        notice="DEVELOPMENT OUTBOX: no SMTP server is configured (TRELLIS_SMTP_HOST); nothing was delivered.",
        items=[
            OutboxMessage(to=m.to, subject=m.subject, body=m.body, sent_at=m.sent_at) for m in mailer.messages(to=to)
        ],
    )
