"""Accounts, password and email-code sign-in, sessions with rotating refresh tokens, API tokens."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.conftest import DEFAULT_PASSWORD, SignedInUser, sign_up
from trellis.audit.models import AuditRecord
from trellis.auth.models import ApiToken, OtpCode, User
from trellis.core.db import utcnow
from trellis.core.runtime import Runtime


def jwt_claims(token: str) -> dict:  # type: ignore[type-arg]
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def audit_actions(runtime: Runtime) -> list[str]:
    with runtime.database.session_factory() as session:
        return list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.created_at)))


def outbox_code(client: TestClient, email: str) -> str:
    message = client.get("/api/v1/dev/outbox", params={"to": email}).json()["items"][0]
    match = re.search(r"\b(\d{6})\b", message["body"])
    assert match
    return match.group(1)


# ---------------------------------------------------------------- password accounts


def test_register_signs_in_with_seed_004_tokens_and_a_personal_workspace(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "Alice@Example.com", "password": DEFAULT_PASSWORD, "full_name": "Alice"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["user"]["email"] == "alice@example.com" and body["user"]["full_name"] == "Alice"
    access = jwt_claims(body["access_token"])
    assert access["type"] == "access" and access["sub"] == body["user"]["id"]
    assert access["exp"] - access["iat"] == 15 * 60 and len(access["jti"]) == 32
    refresh = jwt_claims(body["refresh_token"])
    assert refresh["type"] == "refresh" and refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    workspaces = client.get("/api/v1/workspaces", headers=headers).json()["items"]
    assert [(w["name"], w["role"], w["is_personal"]) for w in workspaces] == [("Alice's workspace", "owner", True)]


def test_weak_passwords_are_refused_with_the_rules_and_without_echo(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={"email": "bob@example.com", "password": "short"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["error"] == "weak_password"
    assert "10-128 characters" in detail["message"] and detail["problems"] == ["shorter than 10 characters"]
    common = client.post("/api/v1/auth/register", json={"email": "bob@example.com", "password": "password123"})
    assert common.json()["detail"]["problems"] == ["too common or too simple"]
    assert "password123" not in common.text


def test_duplicate_email_is_a_409(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    signed_in("carol@example.com")
    response = client.post("/api/v1/auth/register", json={"email": "CAROL@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 409 and response.json()["detail"]["error"] == "email_taken"


def test_login_and_failed_logins_are_audited(client: TestClient, runtime: Runtime, signed_in) -> None:  # type: ignore[no-untyped-def]
    user = signed_in("dave@example.com")
    ok = client.post("/api/v1/auth/login", json={"email": "dave@example.com", "password": DEFAULT_PASSWORD})
    assert ok.status_code == 200 and ok.json()["user"]["id"] == user.user_id
    for password in ("wrong-password-1", "wrong-password-2"):
        bad = client.post("/api/v1/auth/login", json={"email": "dave@example.com", "password": password})
        assert bad.status_code == 401
        assert bad.json()["detail"] == {
            "error": "invalid_credentials",
            "message": "The email or password is not correct.",
        }
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": DEFAULT_PASSWORD})
    assert unknown.status_code == 401 and unknown.json() == bad.json()
    actions = audit_actions(runtime)
    assert actions.count("auth.sign_in_failed") == 3
    assert actions.count("auth.signed_in") == 2  # registration and login


def test_me_and_profile_update(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    user = signed_in("erin@example.com")
    me = client.get("/api/v1/auth/me", headers=user.headers).json()
    assert me["email"] == "erin@example.com" and me["is_admin"] is False
    updated = client.patch("/api/v1/auth/me", json={"full_name": "Erin E."}, headers=user.headers)
    assert updated.json()["full_name"] == "Erin E."
    new_password = "An-Entirely-New-Pass-5"
    assert client.patch("/api/v1/auth/me", json={"password": new_password}, headers=user.headers).status_code == 200
    login = client.post("/api/v1/auth/login", json={"email": user.email, "password": new_password})
    assert login.status_code == 200


def test_requests_without_or_with_bad_tokens_are_401(client: TestClient) -> None:
    missing = client.get("/api/v1/auth/me")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["detail"]["error"] == "not_authenticated"
    forged = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"})
    assert forged.status_code == 401 and forged.json()["detail"]["error"] == "invalid_token"


# ---------------------------------------------------------------- sessions


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(client: TestClient, runtime: Runtime) -> None:
    user = sign_up(client, "frank@example.com")
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != user.refresh_token and new["access_token"] != user.access_token
    # The old refresh token comes back (stolen copy): the whole session family dies.
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert reused.status_code == 401 and reused.json()["detail"]["error"] == "session_revoked"
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]}).status_code == 401
    newest_access = {"Authorization": f"Bearer {new['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=newest_access).status_code == 401
    assert "auth.refresh_token_reused" in audit_actions(runtime)


def test_logout_refuses_that_sessions_access_token(client: TestClient) -> None:
    user = sign_up(client, "gina@example.com")
    other = client.post("/api/v1/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD}).json()
    assert client.post("/api/v1/auth/logout", headers=user.headers).status_code == 204
    after = client.get("/api/v1/auth/me", headers=user.headers)
    assert after.status_code == 401 and after.json()["detail"]["error"] == "session_revoked"
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}).status_code == 401
    # Another device's session is untouched.
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other['access_token']}"}).status_code == 200
    )


def test_logout_all_ends_every_session(client: TestClient) -> None:
    user = sign_up(client, "hank@example.com")
    other = client.post("/api/v1/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD}).json()
    sessions = client.get("/api/v1/auth/sessions", headers=user.headers).json()
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    ended = client.post("/api/v1/auth/logout-all", headers=user.headers)
    assert ended.json() == {"sessions_ended": 2}
    for token in (user.access_token, other["access_token"]):
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# ---------------------------------------------------------------- email codes


def test_email_code_sign_in_creates_the_account_and_works_once(client: TestClient, runtime: Runtime) -> None:
    requested = client.post("/api/v1/auth/request-otp", json={"email": "ivy@example.com", "purpose": "login"})
    assert requested.json() == {"success": True, "message": "OTP sent to email", "expires_in": 300}
    outbox = client.get("/api/v1/dev/outbox").json()
    assert outbox["notice"].startswith("DEVELOPMENT OUTBOX")
    code = outbox_code(client, "ivy@example.com")
    signed = client.post("/api/v1/auth/verify-otp", json={"email": "ivy@example.com", "code": code})
    assert signed.status_code == 200 and signed.json()["user"]["email"] == "ivy@example.com"
    again = client.post("/api/v1/auth/verify-otp", json={"email": "ivy@example.com", "code": code})
    assert again.status_code == 401 and again.json()["detail"]["error"] == "invalid_code"
    with runtime.database.session_factory() as session:
        stored = session.scalars(select(OtpCode.code_hash)).all()
        assert code not in " ".join(stored) and all(len(h) == 64 for h in stored)
        assert session.scalar(select(User.email_verified_at).where(User.email == "ivy@example.com")) is not None


def test_ten_wrong_codes_burn_the_code(client: TestClient) -> None:
    client.post("/api/v1/auth/request-otp", json={"email": "jack@example.com"})
    code = outbox_code(client, "jack@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    left = []
    for _ in range(10):
        response = client.post("/api/v1/auth/verify-otp", json={"email": "jack@example.com", "code": wrong})
        assert response.status_code in (401, 429)
        left.append(response.json()["detail"].get("attempts_left"))
    assert left[:9] == [9, 8, 7, 6, 5, 4, 3, 2, 1]
    late = client.post("/api/v1/auth/verify-otp", json={"email": "jack@example.com", "code": code})
    assert late.status_code in (401, 429)  # burnt (or the per-IP verify limit, 10 per 15 minutes)


def test_expired_codes_do_not_work(client: TestClient, runtime: Runtime) -> None:
    client.post("/api/v1/auth/request-otp", json={"email": "kim@example.com"})
    code = outbox_code(client, "kim@example.com")
    with runtime.database.session_factory() as session:
        session.execute(update(OtpCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert client.post("/api/v1/auth/verify-otp", json={"email": "kim@example.com", "code": code}).status_code == 401


def test_only_the_newest_code_works(client: TestClient) -> None:
    client.post("/api/v1/auth/request-otp", json={"email": "lee@example.com"})
    first = outbox_code(client, "lee@example.com")
    client.post("/api/v1/auth/request-otp", json={"email": "lee@example.com"})
    second = outbox_code(client, "lee@example.com")
    if first != second:
        assert (
            client.post("/api/v1/auth/verify-otp", json={"email": "lee@example.com", "code": first}).status_code == 401
        )
    assert client.post("/api/v1/auth/verify-otp", json={"email": "lee@example.com", "code": second}).status_code == 200


def test_code_requests_are_limited_per_email_and_per_ip(client: TestClient) -> None:
    for _ in range(5):
        assert client.post("/api/v1/auth/request-otp", json={"email": "max@example.com"}).status_code == 200
    limited = client.post("/api/v1/auth/request-otp", json={"email": "max@example.com"})
    assert limited.status_code == 429
    retry_after = int(limited.headers["retry-after"])
    assert 890 <= retry_after <= 900
    assert limited.json()["detail"] == {
        "error": "rate_limited",
        "message": f"Too many requests; retry in {retry_after} seconds.",
        "retry_after": retry_after,
    }
    # The same IP (the test client) has used its 5 requests too: another address is refused as well.
    assert client.post("/api/v1/auth/request-otp", json={"email": "other@example.com"}).status_code == 429


def test_verify_otp_rejects_malformed_codes(client: TestClient) -> None:
    response = client.post("/api/v1/auth/verify-otp", json={"email": "nia@example.com", "code": "12ab56"})
    assert response.status_code == 422 and response.json()["detail"]["errors"][0]["loc"] == ["body", "code"]


# ---------------------------------------------------------------- API tokens


def test_api_token_is_shown_once_usable_scoped_and_revocable(client: TestClient, runtime: Runtime) -> None:
    user = sign_up(client, "olga@example.com")
    created = client.post("/api/v1/auth/tokens", json={"name": "ci", "scope": "read"}, headers=user.headers)
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("trl_") and created.json()["prefix"] == secret[:10]
    listed = client.get("/api/v1/auth/tokens", headers=user.headers)
    assert [t["name"] for t in listed.json()] == ["ci"] and secret not in listed.text
    token_headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/auth/me", headers=token_headers).json()["email"] == "olga@example.com"
    # Read-only: writes are refused even where the user's role allows them.
    refused = client.patch(f"/api/v1/workspaces/{user.workspace_id}", json={"name": "x"}, headers=token_headers)
    assert refused.status_code == 403 and refused.json()["detail"]["message"] == "This API token is read-only."
    with runtime.database.session_factory() as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.token_hash != secret and token.last_used_at is not None
    revoke = client.delete(f"/api/v1/auth/tokens/{created.json()['id']}", headers=user.headers)
    assert revoke.status_code == 204
    assert client.get("/api/v1/auth/me", headers=token_headers).status_code == 401
    assert client.delete(f"/api/v1/auth/tokens/{uuid.uuid4()}", headers=user.headers).status_code == 404
    actions = audit_actions(runtime)
    assert "auth.api_token_created" in actions and "auth.api_token_revoked" in actions


def test_read_write_token_can_write(client: TestClient) -> None:
    user: SignedInUser = sign_up(client, "pat@example.com")
    secret = client.post("/api/v1/auth/tokens", json={"name": "agent"}, headers=user.headers).json()["token"]
    response = client.post(
        "/api/v1/workspaces", json={"name": "From a token"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 201


def test_dev_outbox_is_off_in_production(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings
    from trellis.main import create_app

    with TestClient(create_app(make_settings(tmp_path, env="production"))) as client:
        assert client.get("/api/v1/dev/outbox").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/auth/logout", "/api/v1/auth/logout-all", "/api/v1/auth/tokens"])
def test_session_endpoints_need_a_sign_in(client: TestClient, path: str) -> None:
    assert client.post(path, json={"name": "x"}).status_code == 401
