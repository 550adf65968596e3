"""Shared fixtures: a fresh embedded Trellis (SQLite in a temp dir) per test."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
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
