"""Distributed mode end to end: PostgreSQL + Redis + Celery `trellis worker` processes."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import SignedInUser, load_job, make_admin, make_settings, sign_up, wait_for, wait_for_job
from tests.integration.conftest import WorkerProcess, settings_environment
from tests.test_migrations import assert_migrations_match_models
from trellis.cli import app as cli_app
from trellis.core.config import Settings
from trellis.core.db import create_database, utcnow
from trellis.core.jobs import Job, JobStatus
from trellis.core.runtime import Runtime
from trellis.main import create_app

StartWorker = Callable[..., WorkerProcess]


@pytest.fixture
def api(distributed_settings: Settings) -> Iterator[TestClient]:
    """An API process in distributed mode: it enqueues and reads, workers run the jobs."""
    with TestClient(create_app(distributed_settings)) as client:
        yield client


@pytest.fixture
def admin(api: TestClient) -> SignedInUser:
    return make_admin(runtime_of(api), sign_up(api, "admin@example.com"))


def runtime_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def test_postgres_migrations_match_models_and_reverse(database_url: str, tmp_path: Path) -> None:
    database = create_database(make_settings(tmp_path, database_url=database_url))
    try:
        assert database.dialect == "postgresql"
        assert_migrations_match_models(database)
    finally:
        database.dispose()


def test_ready_checks_database_redis_and_broker(api: TestClient) -> None:
    response = api.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok", "broker": "ok"}}
    assert api.get("/health").json()["mode"] == "distributed"


def test_ready_is_503_when_redis_is_down(distributed_settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    settings = distributed_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{dead_port}/0"})
    with TestClient(create_app(settings)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert detail["error"] == "not_ready"
    assert detail["checks"]["database"] == "ok"
    assert detail["checks"]["redis"].startswith("ConnectionError")
    assert detail["checks"]["broker"] != "ok"
    assert detail["message"] == "Not ready: broker, redis unavailable."


def test_worker_runs_a_job_enqueued_by_the_api_process(
    api: TestClient, start_worker: StartWorker, admin: SignedInUser
) -> None:
    worker = start_worker()
    job_id = runtime_of(api).jobs.enqueue("it.echo", {"hello": "world"})
    job = wait_for_job(runtime_of(api), job_id, "completed", timeout=30)
    assert job.result == {"payload": {"hello": "world"}, "pid": worker.pid, "attempt": 1}
    body = api.get(f"/api/v1/jobs/{job_id}", headers=admin.headers).json()
    assert body["status"] == "completed" and body["result"]["pid"] == worker.pid


def test_transient_failure_is_retried_on_the_worker(api: TestClient, start_worker: StartWorker) -> None:
    start_worker()
    job = wait_for_job(runtime_of(api), runtime_of(api).jobs.enqueue("it.flaky", {}), "completed", timeout=30)
    assert job.attempts == 2 and job.result == {"attempt": 2}


def test_worker_events_reach_a_websocket_on_the_api_process(
    api: TestClient, start_worker: StartWorker, tmp_path: Path, admin: SignedInUser
) -> None:
    start_worker()
    with api.websocket_connect(f"/api/v1/ws?access_token={admin.access_token}") as ws:
        assert ws.receive_json()["type"] == "authenticated"
        # Enqueued once the socket is open and delayed, so the subscription (made right away) is in place
        # before the worker starts the job, however slow the machine was to get here.
        job_id = runtime_of(api).jobs.enqueue(
            "it.slow", {"seconds": 0.2, "marker_dir": str(tmp_path)}, delay_seconds=2.0
        )
        ws.send_json({"action": "subscribe", "topics": [f"jobs.{job_id}"]})
        assert ws.receive_json()["type"] == "subscribed"
        statuses = [ws.receive_json()["data"]["status"] for _ in range(2)]
    assert statuses == ["running", "completed"]


def test_sigkilled_worker_loses_nothing(api: TestClient, start_worker: StartWorker, tmp_path: Path) -> None:
    runtime = runtime_of(api)
    markers = tmp_path / "markers"
    markers.mkdir()
    first = start_worker("first")
    job_id = runtime.jobs.enqueue("it.slow", {"seconds": 4, "marker_dir": str(markers)})
    wait_for(lambda: (markers / f"start-1-{first.pid}").exists(), timeout=30, what="attempt 1 to start")
    assert load_job(runtime, job_id).status == JobStatus.RUNNING
    first.kill()  # SIGKILL mid-job: no shutdown, no cleanup, the lease just stops being renewed

    second = start_worker("second")
    job = wait_for_job(runtime, job_id, "completed", timeout=60)
    assert job.attempts == 2
    assert job.result == {"pid": second.pid, "attempt": 2}
    assert sorted(p.name for p in markers.iterdir()) == sorted(
        [f"start-1-{first.pid}", f"start-2-{second.pid}", f"finish-2-{second.pid}"]
    )
    assert "job_lease_expired" in second.log()


def test_a_job_whose_broker_message_was_lost_is_sent_again(api: TestClient, start_worker: StartWorker) -> None:
    runtime = runtime_of(api)
    long_ago = utcnow() - timedelta(minutes=10)
    with runtime.database.session_factory() as session:
        orphan = Job(name="it.echo", payload={"lost": True}, run_after=long_ago, dispatched_at=long_ago)
        session.add(orphan)
        session.commit()
    start_worker()
    job = wait_for_job(runtime, orphan.id, "completed", timeout=30)
    assert job.result["payload"] == {"lost": True}  # type: ignore[index]


def test_two_workers_share_the_queue_without_running_a_job_twice(api: TestClient, start_worker: StartWorker) -> None:
    workers = {start_worker("a").pid, start_worker("b").pid}
    runtime = runtime_of(api)
    ids = [runtime.jobs.enqueue("it.echo", {"n": n}) for n in range(40)]
    jobs = [wait_for_job(runtime, job_id, "completed", timeout=60) for job_id in ids]
    assert all(job.attempts == 1 for job in jobs)
    assert {job.result["pid"] for job in jobs} <= workers  # type: ignore[index]


def test_doctor_lists_answering_workers(distributed_settings: Settings, start_worker: StartWorker) -> None:
    worker = start_worker()
    env = settings_environment(distributed_settings)
    result = CliRunner().invoke(cli_app, ["doctor"], env=env)
    assert result.exit_code == 0, result.output
    assert "[  ok] mode: distributed" in result.output
    assert "[  ok] redis: redis://127.0.0.1" in result.output
    assert f"trellis-{worker.pid}@{socket.gethostname()}" in result.output


def test_job_ids_are_unique_across_processes(api: TestClient) -> None:
    assert uuid.UUID(str(runtime_of(api).jobs.enqueue("it.echo", {}))).version == 4
    assert os.environ.get("TRELLIS_TEST_DATABASE_URL")
