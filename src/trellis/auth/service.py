"""Accounts, sign-in (password and email code), sessions with rotating refresh tokens, API tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.auth.models import ApiToken, AuthSession, OtpCode, User
from trellis.core import security
from trellis.core.config import Settings
from trellis.core.db import utcnow
from trellis.core.errors import Conflict, InvalidInput, NotFound, RateLimited, Unauthorized
from trellis.core.mail import OutgoingMail
from trellis.workspaces import service as workspaces_service

OTP_LIFETIME = timedelta(minutes=5)
OTP_MAX_FAILED_ATTEMPTS = 10
OTP_REQUEST_LIMIT = 5
OTP_REQUEST_WINDOW = timedelta(minutes=15)
API_TOKEN_PREFIX = "trl_"
TokenScope = Literal["read", "read_write"]


# ---------------------------------------------------------------- errors


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    keeps_changes = True  # the failed attempt is audited


class InvalidCode(Unauthorized):
    code = "invalid_code"
    keeps_changes = True  # the wrong guess counts against the code


class SessionRevoked(Unauthorized):
    code = "session_revoked"
    keeps_changes = True  # reuse of a rotated refresh token revokes the session


class EmailTaken(Conflict):
    code = "email_taken"


class WeakPassword(InvalidInput):
    code = "weak_password"


class TokenNotFound(NotFound):
    code = "token_not_found"


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class ClientInfo:
    ip_address: str | None
    user_agent: str | None


@dataclass(frozen=True)
class IssuedTokens:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user (session) or a personal API token."""

    user_id: uuid.UUID
    email: str
    is_admin: bool
    scope: TokenScope
    session_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    # API tokens only: when its use was last recorded (recorded again at most once a minute).
    token_last_used_at: datetime | None = None

    @property
    def token_use_is_stale(self) -> bool:
        return self.token_id is not None and (
            self.token_last_used_at is None or self.token_last_used_at < utcnow() - timedelta(minutes=1)
        )


def _weak_password_message(problems: list[str]) -> str:
    return f"The password is not acceptable ({', '.join(problems)}). {security.PASSWORD_RULES}"


def normalize_email(email: str) -> str:
    return email.strip().lower()


# ---------------------------------------------------------------- accounts


def get_user_by_email(db_session: Session, email: str) -> User | None:
    return db_session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    db_session: Session,
    *,
    email: str,
    password: str | None,
    full_name: str | None = None,
    is_admin: bool = False,
    verified: bool = False,
) -> User:
    """A new account with its personal workspace."""
    email = normalize_email(email)
    if password is not None:
        problems = security.password_problems(password, email=email)
        if problems:
            raise WeakPassword(_weak_password_message(problems), problems=problems)
    if get_user_by_email(db_session, email) is not None:
        raise EmailTaken(f"An account for {email} already exists; sign in instead.")
    user = User(
        email=email,
        password_hash=security.hash_password(password) if password is not None else None,
        full_name=full_name,
        is_admin=is_admin,
        email_verified_at=utcnow() if verified else None,
    )
    try:
        with db_session.begin_nested():
            db_session.add(user)
    except IntegrityError:
        raise EmailTaken(f"An account for {email} already exists; sign in instead.") from None
    workspaces_service.create_personal_workspace(db_session, user_id=user.id, owner_name=full_name or email)
    audit_service.record(
        db_session,
        action="auth.account_created",
        user_id=user.id,
        resource_type="user",
        resource_id=user.id,
        metadata={"method": "password" if password else "email_code"},
    )
    return user


def register(
    db_session: Session, *, settings: Settings, email: str, password: str, full_name: str | None, client: ClientInfo
) -> IssuedTokens:
    user = create_user(db_session, email=email, password=password, full_name=full_name)
    return _start_session(db_session, settings=settings, user=user, method="password", client=client)


def login(db_session: Session, *, settings: Settings, email: str, password: str, client: ClientInfo) -> IssuedTokens:
    user = get_user_by_email(db_session, email)
    valid = security.verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        audit_service.record(
            db_session,
            action="auth.sign_in_failed",
            user_id=user.id if user else None,
            metadata={"method": "password", "email_domain": normalize_email(email).split("@")[-1]},
        )
        raise InvalidCredentials("The email or password is not correct.")
    if user.password_hash and security.password_needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    return _start_session(db_session, settings=settings, user=user, method="password", client=client)


def update_profile(db_session: Session, *, user_id: uuid.UUID, changes: dict[str, object]) -> User:
    user = db_session.get(User, user_id)
    if user is None:
        raise Unauthorized("Your account no longer exists.")
    if "password" in changes:
        password = str(changes.pop("password"))
        problems = security.password_problems(password, email=user.email)
        if problems:
            raise WeakPassword(_weak_password_message(problems), problems=problems)
        user.password_hash = security.hash_password(password)
        audit_service.record(db_session, action="auth.password_changed", user_id=user.id)
    for name in ("full_name", "avatar_url"):
        if name in changes:
            setattr(user, name, changes[name])
    return user


# ---------------------------------------------------------------- email codes


def request_otp(db_session: Session, *, settings: Settings, email: str, purpose: str, client: ClientInfo) -> str:
    """Create a sign-in code for `email` and return it (for the mailer only). 5 per 15 minutes per email and IP."""
    email = normalize_email(email)
    now = utcnow()
    since = now - OTP_REQUEST_WINDOW
    _enforce_otp_quota(db_session, OtpCode.email == email, since=since, now=now)
    if client.ip_address:
        _enforce_otp_quota(db_session, OtpCode.ip_address == client.ip_address, since=since, now=now)
    # Only the newest code counts: earlier unused ones stop working.
    db_session.execute(
        update(OtpCode)
        .where(OtpCode.email == email, OtpCode.used_at.is_(None), OtpCode.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    code = security.new_otp_code()
    db_session.add(
        OtpCode(
            email=email,
            code_hash=security.keyed_hash(settings.signing_key, email, code),
            purpose=purpose,
            expires_at=now + OTP_LIFETIME,
            ip_address=client.ip_address,
            user_agent=(client.user_agent or "")[:500],
            created_at=now,
        )
    )
    return code


def _enforce_otp_quota(db_session: Session, condition: object, *, since: datetime, now: datetime) -> None:
    recent = db_session.scalars(
        select(OtpCode.created_at)
        .where(condition, OtpCode.created_at > since)  # type: ignore[arg-type]
        .order_by(OtpCode.created_at)
    ).all()
    if len(recent) >= OTP_REQUEST_LIMIT:
        oldest_counted = recent[len(recent) - OTP_REQUEST_LIMIT]
        raise RateLimited((oldest_counted + OTP_REQUEST_WINDOW - now).total_seconds())


def sign_in_code_mail(email: str, code: str) -> OutgoingMail:
    return OutgoingMail(
        to=normalize_email(email),
        subject=f"Your Trellis sign-in code: {code}",
        body=f"Your Trellis sign-in code is {code}.\n\nIt expires in 5 minutes and works once. "
        "If you did not ask for it, ignore this message.",
    )


def verify_otp(db_session: Session, *, settings: Settings, email: str, code: str, client: ClientInfo) -> IssuedTokens:
    """Sign in with a code; an unknown email gets an account (the code proves the address)."""
    email = normalize_email(email)
    now = utcnow()
    otp = db_session.scalar(
        select(OtpCode)
        .where(OtpCode.email == email, OtpCode.used_at.is_(None), OtpCode.expires_at > now)
        .order_by(OtpCode.created_at.desc())
        .limit(1)
    )
    refused = "The code is wrong or has expired; request a new one."
    if otp is None:
        audit_service.record(
            db_session,
            action="auth.sign_in_failed",
            metadata={"method": "email_code", "reason": "no_active_code", "email_domain": email.split("@")[-1]},
        )
        raise InvalidCode(refused)
    expected = security.keyed_hash(settings.signing_key, email, code.strip())
    if not security.constant_time_equal(expected, otp.code_hash):
        otp.failed_attempts += 1
        if otp.failed_attempts >= OTP_MAX_FAILED_ATTEMPTS:
            otp.expires_at = now  # burnt: too many guesses
        audit_service.record(
            db_session,
            action="auth.sign_in_failed",
            metadata={"method": "email_code", "reason": "wrong_code", "email_domain": email.split("@")[-1]},
        )
        raise InvalidCode(refused, attempts_left=max(0, OTP_MAX_FAILED_ATTEMPTS - otp.failed_attempts))
    otp.used_at = now
    user = get_user_by_email(db_session, email)
    if user is None:
        user = create_user(db_session, email=email, password=None, verified=True)
    elif not user.is_active:
        raise InvalidCode(refused)
    if user.email_verified_at is None:
        user.email_verified_at = now
    return _start_session(db_session, settings=settings, user=user, method="email_code", client=client)


# ---------------------------------------------------------------- sessions


def _start_session(
    db_session: Session, *, settings: Settings, user: User, method: str, client: ClientInfo
) -> IssuedTokens:
    now = utcnow()
    session = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        refresh_token_hash="",
        method=method,
        expires_at=now + timedelta(days=settings.refresh_token_days),
        ip_address=client.ip_address,
        user_agent=(client.user_agent or "")[:500],
        created_at=now,
        last_activity_at=now,
    )
    tokens = _issue_pair(settings=settings, user=user, session=session, now=now)
    db_session.add(session)
    user.last_login_at = now
    audit_service.record(
        db_session,
        action="auth.signed_in",
        user_id=user.id,
        resource_type="session",
        resource_id=session.id,
        metadata={"method": method},
    )
    return tokens


def _issue_pair(*, settings: Settings, user: User, session: AuthSession, now: datetime) -> IssuedTokens:
    key = settings.signing_key
    access, _ = security.issue_token(
        key=key,
        token_type="access",
        subject=user.id,
        session_id=session.id,
        now=now,
        lifetime=timedelta(minutes=settings.access_token_minutes),
        extra={"email": user.email},
    )
    refresh, refresh_jti = security.issue_token(
        key=key,
        token_type="refresh",
        subject=user.id,
        session_id=session.id,
        now=now,
        lifetime=session.expires_at - now,
    )
    # Only the newest refresh token of a session is valid; the hash of its id is the marker.
    session.refresh_token_hash = security.hash_token(refresh_jti)
    return IssuedTokens(
        user=user,
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_minutes * 60,
        session_id=session.id,
    )


def refresh_session(db_session: Session, *, settings: Settings, refresh_token: str) -> IssuedTokens:
    try:
        claims = security.decode_token(refresh_token, key=settings.signing_key, expected_type="refresh")
    except security.InvalidToken as exc:
        raise Unauthorized(f"The refresh token is not valid: {exc}.", code="invalid_token") from None
    now = utcnow()
    session = db_session.get(AuthSession, claims.session_id)
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        raise Unauthorized("This session has ended; sign in again.", code="session_revoked")
    if not security.constant_time_equal(security.hash_token(claims.token_id), session.refresh_token_hash):
        # A rotated token came back: it was copied. End the whole session for both holders.
        session.revoked_at = now
        session.revoked_reason = "refresh_token_reuse"
        audit_service.record(
            db_session,
            action="auth.refresh_token_reused",
            user_id=session.user_id,
            resource_type="session",
            resource_id=session.id,
        )
        raise SessionRevoked("This refresh token was already used; the session has been ended. Sign in again.")
    user = db_session.get(User, session.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("This account is disabled.", code="account_disabled")
    session.last_activity_at = now
    return _issue_pair(settings=settings, user=user, session=session, now=now)


def logout(db_session: Session, *, principal: Principal) -> None:
    if principal.session_id is None:
        raise InvalidInput(
            "API tokens have no session; revoke the token instead (DELETE /api/v1/auth/tokens/{id}).",
            code="not_a_session",
        )
    _revoke_sessions(db_session, AuthSession.id == principal.session_id, reason="logout")
    audit_service.record(
        db_session,
        action="auth.signed_out",
        user_id=principal.user_id,
        resource_type="session",
        resource_id=principal.session_id,
    )


def logout_everywhere(db_session: Session, *, principal: Principal) -> int:
    ended = _revoke_sessions(db_session, AuthSession.user_id == principal.user_id, reason="logout_all")
    audit_service.record(
        db_session, action="auth.signed_out_everywhere", user_id=principal.user_id, metadata={"sessions_ended": ended}
    )
    return ended


def _revoke_sessions(db_session: Session, condition: object, *, reason: str) -> int:
    result = db_session.execute(
        update(AuthSession)
        .where(condition, AuthSession.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def list_sessions(db_session: Session, *, user_id: uuid.UUID) -> list[AuthSession]:
    return list(
        db_session.scalars(
            select(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None), AuthSession.expires_at > utcnow())
            .order_by(AuthSession.created_at.desc())
        )
    )


# ---------------------------------------------------------------- who is calling


def authenticate(db_session: Session, *, settings: Settings, bearer: str) -> Principal:
    """Turn a bearer credential (access JWT or personal API token) into a principal, or refuse."""
    if bearer.startswith(API_TOKEN_PREFIX):
        return _authenticate_api_token(db_session, bearer)
    try:
        claims = security.decode_token(bearer, key=settings.signing_key, expected_type="access")
    except security.InvalidToken as exc:
        raise Unauthorized(f"The access token is not valid: {exc}.", code="invalid_token") from None
    row = db_session.execute(
        select(AuthSession.revoked_at, AuthSession.expires_at, User.email, User.is_admin, User.is_active)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.id == claims.session_id, AuthSession.user_id == claims.subject)
    ).one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or not row.is_active:
        raise Unauthorized("This session has ended; sign in again.", code="session_revoked")
    return Principal(
        user_id=claims.subject, email=row.email, is_admin=row.is_admin, scope="read_write", session_id=claims.session_id
    )


def _authenticate_api_token(db_session: Session, token: str) -> Principal:
    now = utcnow()
    row = db_session.execute(
        select(ApiToken, User.email, User.is_admin, User.is_active)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == security.hash_token(token))
    ).one_or_none()
    if row is None:
        raise Unauthorized("The API token is not valid.", code="invalid_token")
    api_token: ApiToken = row[0]
    if api_token.revoked_at is not None or (api_token.expires_at and api_token.expires_at <= now) or not row.is_active:
        raise Unauthorized("The API token has been revoked or has expired.", code="invalid_token")
    return Principal(
        user_id=api_token.user_id,
        email=row.email,
        is_admin=row.is_admin,
        scope="read" if api_token.scope == "read" else "read_write",
        token_id=api_token.id,
        token_last_used_at=api_token.last_used_at,
    )


def touch_api_token(db_session: Session, *, token_id: uuid.UUID) -> None:
    """Record use at most once a minute, so a busy token does not write on every request."""
    now = utcnow()
    db_session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - timedelta(minutes=1)),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- personal API tokens


def create_api_token(
    db_session: Session, *, user_id: uuid.UUID, name: str, scope: TokenScope, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    """Returns the stored token and its secret; the secret is never retrievable again."""
    secret = security.new_token(API_TOKEN_PREFIX, 30)
    token = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=security.hash_token(secret),
        prefix=secret[:10],
        scope=scope,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db_session.add(token)
    db_session.flush()
    audit_service.record(
        db_session,
        action="auth.api_token_created",
        user_id=user_id,
        resource_type="api_token",
        resource_id=token.id,
        metadata={"name": name, "scope": scope},
    )
    return token, secret


def list_api_tokens(db_session: Session, *, user_id: uuid.UUID) -> list[ApiToken]:
    return list(
        db_session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(db_session: Session, *, user_id: uuid.UUID, token_id: uuid.UUID) -> None:
    token = db_session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id or token.revoked_at is not None:
        raise TokenNotFound(f"API token {token_id} does not exist.")
    token.revoked_at = utcnow()
    audit_service.record(
        db_session,
        action="auth.api_token_revoked",
        user_id=user_id,
        resource_type="api_token",
        resource_id=token_id,
        metadata={"name": token.name},
    )


@dataclass(frozen=True)
class UserProfile:
    id: uuid.UUID
    email: str
    full_name: str | None


def get_profiles(db_session: Session, *, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, UserProfile]:
    rows = db_session.execute(select(User.id, User.email, User.full_name).where(User.id.in_(user_ids))).all()
    return {row.id: UserProfile(row.id, row.email, row.full_name) for row in rows}


def find_user_id(db_session: Session, *, email: str) -> uuid.UUID | None:
    return db_session.scalar(select(User.id).where(User.email == normalize_email(email)))
