"""Shared set-up of the engine benchmarks: an embedded or distributed Trellis, a user, workflows, timing reads.

Distributed mode needs a PostgreSQL server URL (a database is created per run) and a Redis URL;
one `trellis worker` process is started and stopped by the benchmark.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from trellis.core.config import Settings
from trellis.core.db import create_database
from trellis.core.migrate import upgrade
from trellis.executions.models import NodeExecution, WorkflowExecution
from trellis.main import create_app

SECRET = "benchmark-secret-key-of-32-bytes-or-more"


def settings_for(data_dir: Path, database_url: str | None = None, redis_url: str | None = None) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data_dir,
        env="test",
        database_url=database_url,
        redis_url=redis_url,
        secret_key=SECRET,
        otlp_endpoint=None,
        job_concurrency=4,
        log_level="WARNING",
        rate_limit_enabled=False,
    )


def fresh_postgres_database(server_url: str) -> str:
    """A new empty database on the server at `server_url` (postgresql://user:pw@host:port/db)."""
    name = f"trellis_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


@contextmanager
def trellis(mode: str, pg_url: str | None = None, redis_url: str | None = None) -> Iterator[tuple[TestClient, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        if mode == "embedded":
            settings = settings_for(data_dir)
        else:
            if not pg_url or not redis_url:
                raise SystemExit("distributed mode needs --pg-url and --redis-url")
            settings = settings_for(data_dir, fresh_postgres_database(pg_url), redis_url)
            database = create_database(settings)
            upgrade(database)  # distributed servers do not migrate on start: `trellis db upgrade` does
            database.dispose()
        app = create_app(settings)
        with TestClient(app) as client:
            worker = _start_worker(settings, Path(tmp)) if mode == "distributed" else None
            try:
                yield client, app.state.runtime
            except BaseException:
                if worker is not None:
                    print((Path(tmp) / "worker.log").read_text()[-4000:], file=sys.stderr)
                raise
            finally:
                if worker is not None:
                    worker.terminate()
                    try:
                        worker.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        worker.kill()
                        worker.wait()


def _start_worker(settings: Settings, tmp: Path) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRELLIS_")}
    env.update(
        TRELLIS_DATA_DIR=str(settings.data_dir),
        TRELLIS_DATABASE_URL=settings.database_url or "",
        TRELLIS_REDIS_URL=settings.redis_url or "",
        TRELLIS_SECRET_KEY=SECRET,
        TRELLIS_JOB_CONCURRENCY="4",
    )
    log = (tmp / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", "from trellis.cli import main; main()", "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while b" ready." not in (tmp / "worker.log").read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit((tmp / "worker.log").read_text())
        time.sleep(0.1)
    return process


def sign_up(client: TestClient) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": f"bench-{uuid.uuid4().hex[:6]}@example.com", "password": "Bench-Pass-42!x"},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def transform_chain(length: int) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "manual"}]
    nodes += [{"id": f"t{i}", "type": "transform", "config": {"output": "{{ input }}"}} for i in range(1, length)]
    connections = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return {"nodes": nodes, "connections": connections}


def create_workflow(client: TestClient, headers: dict[str, str], graph: dict[str, Any]) -> str:
    response = client.post(
        "/api/v1/workflows", json={"name": f"bench {uuid.uuid4().hex[:6]}", **graph}, headers=headers
    )
    response.raise_for_status()
    return str(response.json()["id"])


def start(client: TestClient, headers: dict[str, str], workflow_id: str) -> str:
    response = client.post(
        "/api/v1/executions", json={"workflow_id": workflow_id, "trigger_data": {"n": 1}}, headers=headers
    )
    response.raise_for_status()
    return str(response.json()["id"])


def wait_finished(runtime: Any, execution_ids: list[str], timeout: float = 300) -> None:
    ids = [uuid.UUID(value) for value in execution_ids]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.database.read_session_factory() as session:
            statuses = session.scalars(select(WorkflowExecution.status).where(WorkflowExecution.id.in_(ids))).all()
        if len(statuses) == len(ids) and all(s in ("completed", "failed", "cancelled") for s in statuses):
            if any(s != "completed" for s in statuses):
                raise SystemExit(f"some executions did not complete: {sorted(set(statuses))}")
            return
        time.sleep(0.005)
    raise SystemExit("timed out waiting for executions")


def timings(runtime: Any, execution_id: str) -> dict[str, float]:
    """From the rows: enqueue -> first node running, first node start -> last node end, node count."""
    with runtime.database.read_session_factory() as session:
        execution = session.get(WorkflowExecution, uuid.UUID(execution_id))
        rows = session.scalars(select(NodeExecution).where(NodeExecution.execution_id == uuid.UUID(execution_id))).all()
    assert execution is not None and rows
    first_start = min(r.start_time for r in rows if r.start_time)
    last_end = max(r.end_time for r in rows if r.end_time)
    return {
        "start_latency_ms": (first_start - execution.created_at).total_seconds() * 1000,
        "run_ms": (last_end - first_start).total_seconds() * 1000,
        "nodes": float(len(rows)),
    }
