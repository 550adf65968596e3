"""The interface validation uses: project_snapshot / has_connected_repository, and the gateway guard."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.repos.conftest import TOKEN, GitWorld, ProjectOwner, wait_status
from trellis.repos import service as repos_service
from trellis.repos.sandbox import read_file, safe_walk

REQUIREMENT = {
    "code": "REQ-1",
    "text": "When a user adds an item, the system shall show the cart total within 2 seconds.",
    "acceptance_criteria": ["Given an empty cart, when a user adds an item, then the total is shown."],
}


def _gateway(client: TestClient, project: ProjectOwner, action: str, **extra: object):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/projects/{project.project_id}/gateway", json={"action": action, **extra}, headers=project.user.headers
    )


def test_snapshot_and_guard_follow_the_clone(
    repo_client: TestClient, project: ProjectOwner, git_world: GitWorld
) -> None:
    runtime = repo_client.app.state.runtime  # type: ignore[attr-defined]
    repo_client.post(
        f"/api/v1/projects/{project.project_id}/requirements/bulk",
        json={"requirements": [REQUIREMENT]},
        headers=project.user.headers,
    )
    assert _gateway(repo_client, project, "initialize_requirements").status_code == 200
    assert _gateway(repo_client, project, "finalize_requirements", force=True).status_code == 200
    refused = _gateway(repo_client, project, "request_validation")
    assert refused.status_code == 409 and "No repository is connected" in refused.json()["detail"]["message"]
    with runtime.database.session_factory() as session:
        assert repos_service.has_connected_repository(session, project_id=project.project_id) is False
        with pytest.raises(repos_service.RepositoryNotReady) as not_ready:
            repos_service.project_snapshot(session, project_id=project.project_id)
        assert not_ready.value.status_code == 409 and "No repository is connected" in not_ready.value.message

    builder = git_world.repo("acme/cart", {"cart/total.py": "def cart_total(items):\n    return sum(items)\n"})
    git_world.server.api_sizes_kib["acme/cart"] = 2
    git_world.server.delay_seconds = 0.5  # the clone is still running when we look
    connected = repo_client.post(
        "/api/v1/code/connect",
        json={"git_url": git_world.url("acme/cart"), "access_token": TOKEN, "project_id": project.project_id},
        headers=project.user.headers,
    ).json()
    with runtime.database.session_factory() as session:
        assert repos_service.has_connected_repository(session, project_id=uuid.UUID(project.project_id)) is True
        with pytest.raises(repos_service.RepositoryNotReady) as still_cloning:
            repos_service.project_snapshot(session, project_id=project.project_id)
        assert still_cloning.value.extra["clone_status"] in ("PENDING", "CLONING")
    git_world.server.delay_seconds = 0
    wait_status(repo_client, project.user, connected["repo_id"], "COMPLETED")
    with runtime.database.session_factory() as session:
        snapshot = repos_service.project_snapshot(session, project_id=project.project_id)
    assert snapshot.repo_id == connected["repo_id"] and snapshot.commit_sha == builder.push()
    assert isinstance(snapshot.path, Path) and [p.as_posix() for p in safe_walk(snapshot.path)] == ["cart/total.py"]
    assert read_file(snapshot.path, "cart/total.py").startswith(b"def cart_total")

    accepted = _gateway(repo_client, project, "request_validation")
    assert accepted.status_code == 200 and accepted.json()["to_state"] == "CODE_VALIDATION_REQUESTED"

    repo_client.delete(f"/api/v1/code/repos/{connected['repo_id']}", headers=project.user.headers)
    with runtime.database.session_factory() as session:
        assert repos_service.has_connected_repository(session, project_id=project.project_id) is False
