"""Shared fixtures: a fresh embedded Trellis (SQLite in a temp dir) per test."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trellis.core.config import Settings
from trellis.core.jobs import Job
from trellis.core.runtime import Runtime
from trellis.main import create_app


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "env": "test",
        "job_concurrency": 2,
        "job_backoff_seconds": 0.05,
        "job_lease_seconds": 2.0,
        "job_sweep_interval_seconds": 0.2,
        # Tests pass settings explicitly; the environment of the machine must not leak in.
        "database_url": None,
        "redis_url": None,
        "otlp_endpoint": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def runtime(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


def row_counts(runtime: Runtime) -> dict[str, int]:
    """Rows per table: "nothing changed" checks compare two of these."""
    from sqlalchemy import func, select

    from trellis.core.db import Base

    with runtime.database.session_factory() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def wait_for(
    predicate: Callable[[], Any], *, timeout: float = 15.0, interval: float = 0.02, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def load_job(runtime: Runtime, job_id: uuid.UUID) -> Job:
    with runtime.database.session_factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def wait_for_job(runtime: Runtime, job_id: uuid.UUID, status: str, *, timeout: float = 15.0) -> Job:
    def reached() -> Job | None:
        job = load_job(runtime, job_id)
        return job if job.status == status else None

    return wait_for(reached, timeout=timeout, what=f"job {job_id} to be {status}")  # type: ignore[no-any-return]


# ---------------------------------------------------------------- signed-in users

DEFAULT_PASSWORD = "Correct-Horse-Battery-9"


@dataclass
class SignedInUser:
    email: str
    password: str
    user_id: str
    workspace_id: str  # the personal workspace
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def sign_up(
    client: TestClient, email: str, password: str = DEFAULT_PASSWORD, full_name: str | None = None
) -> SignedInUser:
    response = client.post("/api/v1/auth/register", json={"email": email, "password": password, "full_name": full_name})
    assert response.status_code == 201, response.text
    tokens = response.json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    workspaces = client.get("/api/v1/workspaces", headers=headers).json()["items"]
    personal = next(w for w in workspaces if w["is_personal"])
    return SignedInUser(
        email, password, tokens["user"]["id"], personal["id"], tokens["access_token"], tokens["refresh_token"]
    )


@pytest.fixture
def signed_in(client: TestClient) -> Callable[..., SignedInUser]:
    """signed_in("alice@example.com") -> a registered, signed-in user with a personal workspace."""
    return lambda email, **kwargs: sign_up(client, email, **kwargs)


def make_admin(runtime: Runtime, user: SignedInUser) -> SignedInUser:
    from trellis.auth.models import User

    with runtime.database.session_factory() as session:
        account = session.get(User, uuid.UUID(user.user_id))
        assert account is not None
        account.is_admin = True
        session.commit()
    return user


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> SignedInUser:
    return make_admin(runtime, sign_up(client, "admin@example.com"))


def add_member(client: TestClient, owner: SignedInUser, workspace_id: str, member: SignedInUser, role: str) -> None:
    invited = client.post(
        f"/api/v1/workspaces/{workspace_id}/invite", json={"email": member.email, "role": role}, headers=owner.headers
    )
    assert invited.status_code == 201, invited.text
    accepted = client.post(f"/api/v1/invitations/{invited.json()['token']}/accept", headers=member.headers)
    assert accepted.status_code == 200, accepted.text
