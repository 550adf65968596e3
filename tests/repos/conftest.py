"""Fixtures for repository tests: a real git HTTP server with Basic auth, a GitHub API stand-in, an app
configured to use them, and a project to connect repositories to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SignedInUser, make_settings, sign_up, wait_for
from tests.repos.git_server import GitHttpServer, RepoBuilder
from trellis.core.runtime import Runtime
from trellis.main import create_app

TOKEN = "ghp_TestToken0123456789abcdefXYZ"


@dataclass
class GitWorld:
    server: GitHttpServer
    root: Path
    scratch: Path
    local_root: Path

    def repo(self, name: str, files: dict[str, str | bytes]) -> RepoBuilder:
        return RepoBuilder.create(self.root, name, files, scratch=self.scratch)

    def url(self, name: str) -> str:
        return f"{self.server.url}/{name}.git"


@pytest.fixture
def git_world(tmp_path: Path) -> Iterator[GitWorld]:
    root = tmp_path / "git-server"
    root.mkdir()
    local_root = tmp_path / "local-repos"
    local_root.mkdir()
    server = GitHttpServer(root, tokens={"x-access-token": TOKEN, "git": TOKEN})
    with server:
        yield GitWorld(server, root, tmp_path / "scratch", local_root)


@pytest.fixture
def repo_settings_overrides(git_world: GitWorld, tmp_path: Path) -> dict[str, Any]:
    return {
        "repo_allow_http": True,
        "github_hosts": [git_world.server.netloc],
        "github_api_url": f"{git_world.server.url}/api",
        "repo_local_roots": [str(git_world.local_root)],
        "sandbox_base_path": tmp_path / "sandboxes",
        "repo_precheck_timeout_seconds": 30,
        "git_clone_timeout": 60,
    }


@pytest.fixture
def make_client(tmp_path: Path, repo_settings_overrides: dict[str, Any]) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        settings = make_settings(tmp_path / "data", **{**repo_settings_overrides, **overrides})
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def repo_client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def repo_runtime(repo_client: TestClient) -> Runtime:
    runtime: Runtime = repo_client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


@dataclass
class ProjectOwner:
    user: SignedInUser
    project_id: str


def create_project(client: TestClient, name: str = "Shop") -> ProjectOwner:
    owner = sign_up(client, f"owner-{name.lower()}@example.com")
    created = client.post("/api/v1/projects", json={"name": name}, headers=owner.headers)
    assert created.status_code == 201, created.text
    return ProjectOwner(owner, created.json()["id"])


@pytest.fixture
def project(repo_client: TestClient) -> ProjectOwner:
    return create_project(repo_client)


def wait_status(
    client: TestClient, owner: SignedInUser, repo_id: str, *statuses: str, timeout: float = 30
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/v1/code/repos/{repo_id}/status", headers=owner.headers).json()
        return body if body["clone_status"] in statuses else None

    result: dict[str, Any] = wait_for(reached, timeout=timeout, what=f"repository {repo_id} to be {statuses}")
    return result
