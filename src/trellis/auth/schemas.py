from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str | None
    avatar_url: str | None = None
    is_admin: bool = False
    email_verified_at: datetime | None = None
    last_login_at: datetime | None = None
    created_at: datetime | None = None


class RegisterRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)
    full_name: str | None = Field(None, max_length=255)


class LoginRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)


class OtpRequest(BaseModel):
    email: EmailStr
    purpose: Literal["login", "signup", "reset"] = "login"


class OtpRequested(BaseModel):
    success: bool
    message: str
    expires_in: int


class OtpVerifyRequest(BaseModel):
    email: EmailStr
    code: str = Field(pattern=r"^\s*\d{6}\s*$", description="The 6-digit code from the email.")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=4096)


class TokenUser(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str | None


class TokenResponse(BaseModel):
    """Seed 004's sign-in response."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: TokenUser


class ProfileUpdate(BaseModel):
    full_name: str | None = Field(None, max_length=255)
    avatar_url: str | None = Field(None, max_length=2000)
    password: str | None = Field(None, min_length=1, max_length=1024)


class SessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    method: str
    ip_address: str | None
    user_agent: str | None
    created_at: datetime
    last_activity_at: datetime
    expires_at: datetime
    current: bool = False


class SessionsEnded(BaseModel):
    sessions_ended: int


class ApiTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scope: Literal["read", "read_write"] = "read_write"
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class ApiTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    scope: str
    expires_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="The secret. Shown once: it cannot be retrieved again.")


class OutboxMessage(BaseModel):
    to: str
    subject: str
    body: str
    sent_at: datetime


class Outbox(BaseModel):
    notice: str
    items: list[OutboxMessage]
