"""The moment-long cache of who a bearer credential is: repeated requests skip the credential's query; a sign-out or
revocation through this process applies at once; one made elsewhere (another process, here a separate engine
writing SQL) applies within TRELLIS_AUTH_CACHE_SECONDS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text

from tests.conftest import make_settings, sign_up
from trellis.main import create_app


def make_client(tmp_path: Path, seconds: float) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path / "data", auth_cache_seconds=seconds))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def cached(tmp_path: Path) -> Iterator[TestClient]:
    yield from make_client(tmp_path, 0.5)


def statements_during(client: TestClient, call: object) -> list[str]:
    engine = client.app.state.runtime.database.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()  # type: ignore[operator]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def outside_write(client: TestClient, sql: str, **params: object) -> None:
    """A write this process's sessions do not see happen, like one made by another API process."""
    url = str(client.app.state.runtime.database.engine.url)  # type: ignore[attr-defined]
    other = create_engine(url)
    with other.begin() as connection:
        connection.execute(text(sql), params)
    other.dispose()


def test_a_second_request_within_the_window_does_not_read_the_session_again(cached: TestClient) -> None:
    user = sign_up(cached, "cache@example.com")
    time.sleep(0.6)  # whatever sign-up cached has expired
    first = statements_during(cached, lambda: cached.get("/api/v1/auth/me", headers=user.headers))
    second = statements_during(cached, lambda: cached.get("/api/v1/auth/me", headers=user.headers))

    # The job runner polls in the background: look at the identity tables only.
    def identity_reads(statements: list[str]) -> list[str]:
        return ["session" if "FROM auth_sessions" in s else "user" for s in statements if "FROM " in s and "users" in s]

    assert identity_reads(first) == ["session", "user"]  # the credential's check, then the route's own read
    assert identity_reads(second) == ["user"]


def test_sign_out_and_token_revocation_through_this_process_apply_at_once(cached: TestClient) -> None:
    user = sign_up(cached, "out@example.com")
    token = cached.post("/api/v1/auth/tokens", json={"name": "agent"}, headers=user.headers).json()
    agent = {"Authorization": f"Bearer {token['token']}"}
    assert cached.get("/api/v1/auth/me", headers=agent).status_code == 200  # cached now
    assert cached.delete(f"/api/v1/auth/tokens/{token['id']}", headers=user.headers).status_code == 204
    assert cached.get("/api/v1/auth/me", headers=agent).status_code == 401

    assert cached.get("/api/v1/auth/me", headers=user.headers).status_code == 200  # cached now
    assert cached.post("/api/v1/auth/logout", headers=user.headers).status_code == 204
    assert cached.get("/api/v1/auth/me", headers=user.headers).status_code == 401


def test_a_revocation_made_elsewhere_applies_within_the_window(cached: TestClient) -> None:
    user = sign_up(cached, "elsewhere@example.com")
    assert cached.get("/api/v1/auth/me", headers=user.headers).status_code == 200
    outside_write(cached, "UPDATE auth_sessions SET revoked_at = CURRENT_TIMESTAMP")
    assert cached.get("/api/v1/auth/me", headers=user.headers).status_code == 200  # not seen yet
    time.sleep(0.6)
    assert cached.get("/api/v1/auth/me", headers=user.headers).status_code == 401


def test_zero_turns_the_cache_off(tmp_path: Path) -> None:
    for client in make_client(tmp_path, 0):
        user = sign_up(client, "nocache@example.com")
        assert client.get("/api/v1/auth/me", headers=user.headers).status_code == 200
        outside_write(client, "UPDATE auth_sessions SET revoked_at = CURRENT_TIMESTAMP")
        assert client.get("/api/v1/auth/me", headers=user.headers).status_code == 401
