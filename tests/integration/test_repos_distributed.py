"""Repositories in distributed mode: the API pre-checks and stores, a Celery `trellis worker` clones, syncs and
cleans up (PostgreSQL + Redis); the token reaches the worker only through its sealed row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, Text, select

from tests.conftest import sign_up, wait_for
from tests.integration.conftest import WorkerProcess
from tests.repos.git_server import GitHttpServer, RepoBuilder
from trellis.core.config import Settings
from trellis.core.db import Base
from trellis.main import create_app

TOKEN = "glpat-IntegrationToken0123456789"


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitHttpServer]:
    root = tmp_path / "served"
    root.mkdir()
    with GitHttpServer(root, tokens={"git": TOKEN}) as server:
        yield server


def test_clone_sync_and_cleanup_run_on_a_celery_worker(
    distributed_settings: Settings,
    start_worker: Callable[..., WorkerProcess],
    git_server: GitHttpServer,
    tmp_path: Path,
) -> None:
    sandboxes = tmp_path / "sandboxes"
    settings = distributed_settings.model_copy(
        update={"repo_allow_http": True, "sandbox_base_path": sandboxes, "github_hosts": ["github.com"]}
    )
    worker = start_worker(TRELLIS_REPO_ALLOW_HTTP="true", TRELLIS_SANDBOX_BASE_PATH=str(sandboxes))
    builder = RepoBuilder.create(
        git_server.root, "team/api", {"api.py": "def handler():\n    return 200\n"}, scratch=tmp_path / "w"
    )
    with TestClient(create_app(settings)) as api:
        owner = sign_up(api, "owner@example.com")
        project_id = api.post("/api/v1/projects", json={"name": "Api"}, headers=owner.headers).json()["id"]
        connected = api.post(
            "/api/v1/code/connect",
            json={"git_url": f"{git_server.url}/team/api.git", "access_token": TOKEN, "project_id": project_id},
            headers=owner.headers,
        )
        assert connected.status_code == 201, connected.text
        repo_id = connected.json()["repo_id"]

        def status() -> dict:  # type: ignore[type-arg]
            return api.get(f"/api/v1/code/repos/{repo_id}/status", headers=owner.headers).json()  # type: ignore[no-any-return]

        done = wait_for(lambda: status() if status()["clone_status"] in ("COMPLETED", "FAILED") else None, timeout=60)
        assert done["clone_status"] == "COMPLETED", (done, worker.log()[-3000:])
        assert (Path(done["sandbox_path"]) / "worktree" / "api.py").exists()

        builder.commit({"health.py": "OK = True\n"}, "health")
        new_sha = builder.push()
        assert api.post(f"/api/v1/code/repos/{repo_id}/sync", headers=owner.headers).status_code == 202
        wait_for(lambda: status()["commit_sha"] == new_sha and status()["clone_status"] == "COMPLETED", timeout=60)

        assert api.delete(f"/api/v1/code/repos/{repo_id}", headers=owner.headers).status_code == 202
        wait_for(lambda: status()["clone_status"] == "CLEANED", timeout=60)
        assert not Path(done["sandbox_path"]).exists()

        runtime = api.app.state.runtime  # type: ignore[attr-defined]
        with runtime.database.session_factory() as session:
            for table in Base.metadata.sorted_tables:
                columns = [
                    c for c in table.c if isinstance(c.type, String | Text) or c.type.__class__.__name__ == "JSON"
                ]
                if not columns or not runtime.database.engine.dialect.has_table(session.connection(), table.name):
                    continue
                for row in session.execute(select(*columns)).all():
                    assert not any(TOKEN in str(value) for value in row), table.name
    assert TOKEN not in worker.log()
