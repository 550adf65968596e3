"""Seed 001's security tests: the token never reaches logs, responses, the database, the data directory,
job payloads or the process list, and is stored sealed (envelope encryption) and opens only for its row."""

from __future__ import annotations

import base64
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, Text, select

from tests.repos.conftest import TOKEN, GitWorld, ProjectOwner, wait_status
from trellis.core.crypto import SecretDecryptionError, open_secret
from trellis.core.db import Base
from trellis.core.jobs import Job
from trellis.core.key_providers import key_provider_for
from trellis.repos.models import RepositoryToken
from trellis.repos.service import token_context


class ProcessWatcher:
    """Samples the full command line of every process (`ps -eo args`) while git runs."""

    def __init__(self) -> None:
        self.samples: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            listing = subprocess.run(["ps", "-eo", "args", "--no-headers"], capture_output=True, text=True).stdout
            self.samples.append(listing)
            self._stop.wait(0.02)

    def __enter__(self) -> ProcessWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _secret_forms(token: str) -> list[str]:
    return [token, base64.b64encode(f"x-access-token:{token}".encode()).decode()]


def test_token_never_leaks(
    repo_client: TestClient,
    project: ProjectOwner,
    git_world: GitWorld,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    runtime = repo_client.app.state.runtime  # type: ignore[attr-defined]
    builder = git_world.repo("acme/secure", {"app.py": "print('hi')\n"})
    builder.push()
    git_world.server.api_sizes_kib["acme/secure"] = 4
    git_world.server.delay_seconds = 0.3  # keep git running long enough to be seen in `ps`
    bodies: list[str] = []

    def call(method: str, path: str, **kwargs: Any) -> Any:
        response = repo_client.request(method, path, headers=project.user.headers, **kwargs)
        bodies.append(response.text)
        return response

    with ProcessWatcher() as watcher:
        connected = call(
            "POST",
            "/api/v1/code/connect",
            json={"git_url": git_world.url("acme/secure"), "access_token": TOKEN, "project_id": project.project_id},
        )
        assert connected.status_code == 201, connected.text
        repo_id = connected.json()["repo_id"]
        wait_status(repo_client, project.user, repo_id, "COMPLETED", "FAILED")
        builder.commit({"more.py": "x = 2\n"}, "more")
        builder.push()
        assert call("POST", f"/api/v1/code/repos/{repo_id}/sync").status_code == 202
        wait_status(repo_client, project.user, repo_id, "COMPLETED", "FAILED")
        # A bad token's failure message (git's stderr) is masked too.
        call(
            "POST",
            "/api/v1/code/connect",
            json={
                "git_url": git_world.url("acme/secure"),
                "access_token": "ghp_SecondWrongToken9876543210",
                "project_id": project.project_id,
            },
        )
        for path in (
            f"/api/v1/code/repos/{repo_id}",
            f"/api/v1/code/repos/{repo_id}/status",
            f"/api/v1/code/projects/{project.project_id}/repos",
            "/api/v1/code/repositories",
            f"/api/v1/projects/{project.project_id}/audit",
        ):
            assert call("GET", path).status_code == 200
        metrics = repo_client.get("/metrics")
        bodies.append(metrics.text)

    # The process list: git was seen running against the server, never with the token.
    git_lines = [line for sample in watcher.samples for line in sample.splitlines() if git_world.server.url in line]
    assert git_lines, "no git process was observed; the check would prove nothing"
    for sample in watcher.samples:
        for secret in (*_secret_forms(TOKEN), "ghp_SecondWrongToken9876543210"):
            assert secret not in sample

    # The database: every text column of every table, and the token row holds a sealed value only.
    with runtime.database.session_factory() as session:
        texts: list[str] = []
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.c if isinstance(c.type, String | Text) or c.type.__class__.__name__ == "JSON"]
            for row in session.execute(select(*columns)).all() if columns else []:
                texts.extend(str(value) for value in row if value is not None)
        assert texts and not any(TOKEN in text or "ghp_SecondWrong" in text for text in texts)
        stored = session.get(RepositoryToken, uuid.UUID(repo_id))
        assert stored is not None and stored.token_ciphertext.startswith("v1:")
        assert stored.token_kid == stored.token_ciphertext.split(":")[1] and stored.username == "x-access-token"
        provider = key_provider_for(runtime.settings)
        assert (
            open_secret(stored.token_ciphertext, context=token_context(uuid.UUID(repo_id)), provider=provider) == TOKEN
        )
        with pytest.raises(SecretDecryptionError):  # bound to its row: does not open as another repository's
            open_secret(stored.token_ciphertext, context=token_context(uuid.uuid4()), provider=provider)
        jobs = session.scalars(select(Job).where(Job.name.like("repos.%"))).all()
        assert {job.name for job in jobs} == {"repos.clone", "repos.sync"}
        assert all(set(job.payload) == {"repo_id"} for job in jobs)

    # Responses, logs and every file under the data directory and the sandboxes.
    logs = capfd.readouterr()
    files = [p for root in (tmp_path / "data", tmp_path / "sandboxes") for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "app.py" for p in files)
    for secret in (*_secret_forms(TOKEN), "ghp_SecondWrongToken9876543210"):
        assert not any(secret in body for body in bodies), "token in an API response"
        assert secret not in logs.out and secret not in logs.err, "token in the logs"
        assert not any(secret.encode() in p.read_bytes() for p in files), "token in a file on disk"
    assert "ghp_...fXYZ" in bodies[-1] or any("ghp_...fXYZ" in body for body in bodies)  # the masked hint only


def test_git_never_runs_hooks_or_recurses_into_submodules(
    repo_client: TestClient, project: ProjectOwner, git_world: GitWorld, tmp_path: Path
) -> None:
    """A repository carrying a submodule: the clone does not fetch it (no recursion, no second host)."""
    from tests.repos.git_server import git

    inner = git_world.repo("acme/inner", {"inner.txt": "inner\n"})
    outer = git_world.repo("acme/outer", {"outer.txt": "outer\n"})
    git(
        "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner.bare), "vendor/inner", cwd=outer.work
    )  # fmt: skip
    outer.commit({}, "add submodule")
    outer.push()
    git_world.server.api_sizes_kib["acme/outer"] = 4
    connected = repo_client.post(
        "/api/v1/code/connect",
        json={"git_url": git_world.url("acme/outer"), "access_token": TOKEN, "project_id": project.project_id},
        headers=project.user.headers,
    )
    done = wait_status(repo_client, project.user, connected.json()["repo_id"], "COMPLETED", "FAILED")
    assert done["clone_status"] == "COMPLETED"
    worktree = Path(done["sandbox_path"]) / "worktree"
    assert (worktree / "outer.txt").exists() and not (worktree / "vendor" / "inner" / "inner.txt").exists()


def test_concurrent_connections_are_isolated(
    repo_client: TestClient, project: ProjectOwner, git_world: GitWorld
) -> None:
    """Seed 001 "Concurrent Access": simultaneous connections get their own rows, sandboxes and ciphertexts."""
    from concurrent.futures import ThreadPoolExecutor

    names = [f"acme/svc{i}" for i in range(3)]
    for i, name in enumerate(names):
        git_world.repo(name, {f"svc{i}.py": f"SERVICE = {i}\n"})
        git_world.server.api_sizes_kib[name] = 1

    def connect_one(name: str) -> Any:
        return repo_client.post(
            "/api/v1/code/connect",
            json={"git_url": git_world.url(name), "access_token": TOKEN, "project_id": project.project_id},
            headers=project.user.headers,
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(pool.map(connect_one, names))
    assert [r.status_code for r in responses] == [201, 201, 201]
    repo_ids = [r.json()["repo_id"] for r in responses]
    assert len(set(repo_ids)) == 3
    sandboxes = []
    for i, repo_id in enumerate(repo_ids):
        done = wait_status(repo_client, project.user, repo_id, "COMPLETED", "FAILED")
        assert done["clone_status"] == "COMPLETED"
        worktree = Path(done["sandbox_path"]) / "worktree"
        assert sorted(p.name for p in worktree.iterdir()) == [f"svc{i}.py"]  # no .git in the working tree
        sandboxes.append(done["sandbox_path"])
    assert len(set(sandboxes)) == 3
    runtime = repo_client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.database.session_factory() as session:
        sealed = [row.token_ciphertext for row in session.scalars(select(RepositoryToken))]
    # The same token, sealed three times: three different ciphertexts (fresh data key and nonce each).
    assert len(sealed) == 3 and len(set(sealed)) == 3
