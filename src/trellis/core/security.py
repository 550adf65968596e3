"""Passwords (Argon2id), signed tokens (JWT) and hashes of opaque tokens. Pure: no database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# Seed 004's parameters: 64 MiB, 3 passes, 4 lanes.
_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
# Verified against when the account does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
PASSWORD_RULES = (
    f"Passwords must be {PASSWORD_MIN_LENGTH}-{PASSWORD_MAX_LENGTH} characters, must not contain "
    "your email address, and must not be a commonly used password."
)
_COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "iloveyou12",
        "letmein123",
        "welcome123",
        "admin12345",
        "administrator",
        "changeme123",
        "passw0rd123",
        "trustno1234",
        "abcdefghij",
        "0123456789",
        "1q2w3e4r5t",
        "zaq12wsxcde",
        "football123",
        "baseball123",
        "sunshine123",
        "princess123",
    }
)


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why `password` is not acceptable (empty when it is)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"shorter than {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(f"longer than {PASSWORD_MAX_LENGTH} characters")
    lowered = password.lower()
    if email and email.split("@")[0].lower() in lowered and len(email.split("@")[0]) >= 3:
        problems.append("contains your email address")
    if lowered in _COMMON_PASSWORDS or len(set(password)) <= 2:
        problems.append("too common or too simple")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not a hash exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# ---------------------------------------------------------------- opaque tokens


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """SHA-256 for high-entropy tokens (API tokens, invitations): fast lookups, useless if leaked."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(key: str, *parts: str) -> str:
    """HMAC for low-entropy secrets (6-digit codes): a leaked table cannot be brute-forced offline."""
    return hmac.new(key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def constant_time_equal(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())


def new_otp_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


# ---------------------------------------------------------------- JWT

TokenType = Literal["access", "refresh"]
JWT_ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is malformed, tampered with, expired or of the wrong type."""


@dataclass(frozen=True)
class TokenClaims:
    subject: uuid.UUID
    token_type: TokenType
    token_id: str
    session_id: uuid.UUID
    issued_at: datetime
    expires_at: datetime


def issue_token(
    *,
    key: str,
    token_type: TokenType,
    subject: uuid.UUID,
    session_id: uuid.UUID,
    lifetime: timedelta,
    now: datetime,
    token_id: str | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """Sign a token with seed 004's claims (sub, type, jti, iat, exp) plus the session (`sid`)."""
    jti = token_id or uuid.uuid4().hex
    claims: dict[str, Any] = {
        "sub": str(subject),
        "type": token_type,
        "jti": jti,
        "sid": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        **(extra or {}),
    }
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM), jti


def decode_token(token: str, *, key: str, expected_type: TokenType) -> TokenClaims:
    try:
        claims = jwt.decode(
            token, key, algorithms=[JWT_ALGORITHM], options={"require": ["sub", "type", "jti", "sid", "iat", "exp"]}
        )
        if claims["type"] != expected_type:
            raise InvalidToken(f"expected a {expected_type} token")
        return TokenClaims(
            subject=uuid.UUID(claims["sub"]),
            token_type=claims["type"],
            token_id=str(claims["jti"]),
            session_id=uuid.UUID(claims["sid"]),
            issued_at=datetime.fromtimestamp(claims["iat"]).astimezone(),
            expires_at=datetime.fromtimestamp(claims["exp"]).astimezone(),
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
        raise InvalidToken("the token is invalid") from None
