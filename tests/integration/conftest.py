"""Real PostgreSQL, Redis and `trellis worker` processes.

`scripts/test.sh` starts PostgreSQL and Redis and sets TRELLIS_TEST_DATABASE_URL and
TRELLIS_TEST_REDIS_URL. Without them these tests are skipped, unless
TRELLIS_REQUIRE_INTEGRATION=1 (CI), where their absence is a failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import make_settings, wait_for
from trellis.core.config import Settings
from trellis.core.db import create_database
from trellis.core.migrate import upgrade

ADMIN_URL = os.environ.get("TRELLIS_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TRELLIS_TEST_REDIS_URL")
REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _require_servers() -> None:
    if ADMIN_URL and REDIS_URL:
        return
    message = "TRELLIS_TEST_DATABASE_URL / TRELLIS_TEST_REDIS_URL not set (scripts/test.sh sets them)"
    if os.environ.get("TRELLIS_REQUIRE_INTEGRATION") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database per test, migrated to the latest revision."""
    import psycopg

    assert ADMIN_URL is not None
    name = f"trellis_it_{uuid.uuid4().hex[:12]}"
    admin = make_url(ADMIN_URL).set(drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    yield url
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    import redis

    assert REDIS_URL is not None
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL


@pytest.fixture
def distributed_settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    settings = make_settings(
        tmp_path / "data",
        database_url=database_url,
        redis_url=redis_url,
        secret_key="integration-test-key-of-32-bytes-or-more",
        job_lease_seconds=2.0,
        job_sweep_interval_seconds=0.3,
        job_redispatch_seconds=2.0,
        job_backoff_seconds=0.2,
    )
    database = create_database(settings)
    upgrade(database)
    database.dispose()
    return settings


def settings_environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRELLIS_")}
    env.update(
        TRELLIS_DATA_DIR=str(settings.data_dir),
        TRELLIS_DATABASE_URL=settings.database_url or "",
        TRELLIS_REDIS_URL=settings.redis_url or "",
        TRELLIS_SECRET_KEY="integration-test-key-of-32-bytes-or-more",
        TRELLIS_JOB_LEASE_SECONDS=str(settings.job_lease_seconds),
        TRELLIS_JOB_SWEEP_INTERVAL_SECONDS=str(settings.job_sweep_interval_seconds),
        TRELLIS_JOB_REDISPATCH_SECONDS=str(settings.job_redispatch_seconds),
        TRELLIS_JOB_BACKOFF_SECONDS=str(settings.job_backoff_seconds),
        TRELLIS_JOB_MODULES="tests.integration.job_handlers",
        TRELLIS_JOB_CONCURRENCY="2",
        PYTHONPATH=str(REPO_ROOT),
    )
    env.update(extra)
    return env


class WorkerProcess:
    def __init__(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        # The whole process group: nothing of the worker may survive to finish the job.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)


@pytest.fixture
def start_worker(distributed_settings: Settings, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    workers: list[WorkerProcess] = []

    def start(label: str = "worker", **extra_env: str) -> WorkerProcess:
        log_path = tmp_path / f"{label}-{len(workers)}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-c", "from trellis.cli import main; main()", "worker"],
                cwd=tmp_path,
                env=settings_environment(distributed_settings, **extra_env),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = WorkerProcess(process, log_path)
        workers.append(worker)
        wait_for(
            lambda: " ready." in worker.log() or process.poll() is not None,
            timeout=30,
            interval=0.1,
            what=f"{label} to be ready",
        )
        assert process.poll() is None, f"{label} exited early:\n{worker.log()}"
        return worker

    yield start
    for worker in workers:
        if worker.process.poll() is None:
            worker.kill()


def as_dict(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value
