"""Seed 001's endpoints against a real git server over HTTP with token auth (git http-backend)."""

from __future__ import annotations

import stat
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import add_member, sign_up
from tests.repos.conftest import TOKEN, GitWorld, ProjectOwner, wait_status
from tests.repos.git_server import random_blobs


def connect(client: TestClient, project: ProjectOwner, url: str, token: str | None = TOKEN, **extra: object):  # type: ignore[no-untyped-def]
    body = {"git_url": url, "project_id": project.project_id, **extra}
    if token is not None:
        body["access_token"] = token
    return client.post("/api/v1/code/connect", json=body, headers=project.user.headers)


def test_connect_clone_status_sync_and_disconnect(
    repo_client: TestClient, project: ProjectOwner, git_world: GitWorld
) -> None:
    builder = git_world.repo("acme/shop", {"README.md": "# Shop\n", "src/cart.py": "def add_item():\n    pass\n"})
    first_sha = builder.push()
    git_world.server.api_sizes_kib["acme/shop"] = 12
    connected = connect(repo_client, project, git_world.url("acme/shop"))
    assert connected.status_code == 201, connected.text
    body = connected.json()
    assert body["connected"] is True and body["git_url"] == git_world.url("acme/shop")
    assert body["provider"] == "github" and body["size_source"] == "github_api"
    assert body["estimated_size_mb"] == 0.01 and body["clone_status"] == "PENDING"
    assert body["commit_sha"] == first_sha and body["branch"] == "main"
    assert connected.headers["Location"] == f"/api/v1/code/repos/{body['repo_id']}"
    # git sent the token with GitHub's scheme (x-access-token), and the API got it as a Bearer token.
    assert {r["user"] for r in git_world.server.requests if "user" in r} == {"x-access-token"}
    assert any(
        r["authorization"] == f"Bearer {TOKEN}" for r in git_world.server.requests if r["path"].startswith("/api")
    )

    status = wait_status(repo_client, project.user, body["repo_id"], "COMPLETED", "FAILED")
    assert status["clone_status"] == "COMPLETED", status
    assert status["commit_sha"] == first_sha and status["file_count"] == 2
    assert status["progress_message"] == "Repository successfully cloned" and status["error_message"] is None
    sandbox = Path(status["sandbox_path"])
    assert sandbox.name == body["repo_id"] and sandbox.parent.name == project.project_id
    worktree = sandbox / "worktree"
    assert (worktree / "src" / "cart.py").read_text() == "def add_item():\n    pass\n"
    # Read-only after the clone: no write bit anywhere in the sandbox.
    assert not any(
        p.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) for p in [sandbox, *sandbox.rglob("*")]
    )

    details = repo_client.get(f"/api/v1/code/repos/{body['repo_id']}", headers=project.user.headers).json()
    assert details["project_id"] == project.project_id and details["repository_size_mb"] is not None
    assert details["token_hint"] == "ghp_...fXYZ"
    listed = repo_client.get(f"/api/v1/code/projects/{project.project_id}/repos", headers=project.user.headers).json()
    assert [r["id"] for r in listed] == [body["repo_id"]]
    everywhere = repo_client.get("/api/v1/code/repositories", headers=project.user.headers).json()
    assert everywhere["total"] == 1 and everywhere["items"][0]["id"] == body["repo_id"]

    # Sync: a new commit on the server shows up as the new commit sha and new file.
    builder.commit({"src/checkout.py": "def pay():\n    pass\n"}, "checkout")
    second_sha = builder.push()
    synced = repo_client.post(f"/api/v1/code/repos/{body['repo_id']}/sync", headers=project.user.headers)
    assert synced.status_code == 202 and synced.json()["commit_sha"] == first_sha
    wait_status(repo_client, project.user, body["repo_id"], "COMPLETED", "FAILED")

    def synced_to_second() -> bool:
        now = repo_client.get(f"/api/v1/code/repos/{body['repo_id']}/status", headers=project.user.headers).json()
        return now["commit_sha"] == second_sha and now["clone_status"] == "COMPLETED"

    from tests.conftest import wait_for

    wait_for(synced_to_second, what="sync to reach the new commit")
    assert (worktree / "src" / "checkout.py").read_text() == "def pay():\n    pass\n"
    assert not (worktree / "src" / "checkout.py").stat().st_mode & stat.S_IWUSR

    # Disconnect: token row deleted at once, sandbox removed by the cleanup job.
    runtime = repo_client.app.state.runtime  # type: ignore[attr-defined]
    from trellis.repos.models import RepositoryToken

    with runtime.database.session_factory() as session:
        assert session.query(RepositoryToken).count() == 1
    gone = repo_client.delete(f"/api/v1/code/repos/{body['repo_id']}", headers=project.user.headers)
    assert gone.status_code == 202 and gone.json()["clone_status"] == "CLEANING"
    with runtime.database.session_factory() as session:
        assert session.query(RepositoryToken).count() == 0
    final = wait_status(repo_client, project.user, body["repo_id"], "CLEANED")
    assert final["sandbox_path"] is None and not sandbox.exists()
    again = repo_client.delete(f"/api/v1/code/repos/{body['repo_id']}", headers=project.user.headers)
    assert again.status_code == 409
    assert repo_client.get("/api/v1/code/repositories", headers=project.user.headers).json()["total"] == 0


def test_generic_host_uses_a_guarded_shallow_fetch_for_the_estimate(
    make_client,
    git_world: GitWorld,  # type: ignore[no-untyped-def]
) -> None:
    client = make_client(github_hosts=["github.com"])  # the test server is now a generic HTTPS host
    from tests.repos.conftest import create_project

    project = create_project(client)
    git_world.repo("team/tool", {"main.go": "package main\n\nfunc main() {}\n"})
    connected = connect(client, project, git_world.url("team/tool"))
    assert connected.status_code == 201, connected.text
    assert connected.json()["provider"] == "generic" and connected.json()["size_source"] == "shallow_fetch"
    assert {r["user"] for r in git_world.server.requests if "user" in r} == {"git"}
    done = wait_status(client, project.user, connected.json()["repo_id"], "COMPLETED", "FAILED")
    assert done["clone_status"] == "COMPLETED" and done["file_count"] == 1


def test_bad_token_is_401_and_missing_repository_404_and_nothing_is_stored(
    repo_client: TestClient, project: ProjectOwner, git_world: GitWorld
) -> None:
    git_world.repo("acme/private", {"a.txt": "a\n"})
    git_world.server.api_sizes_kib["acme/private"] = 1
    before = repo_client.get("/api/v1/code/repositories", headers=project.user.headers).json()["total"]
    bad = connect(repo_client, project, git_world.url("acme/private"), token="ghp_WrongToken000000000000")
    assert bad.status_code == 401, bad.text
    assert bad.json()["detail"]["error"] == "git_authentication_failed"
    assert "ghp_WrongToken" not in bad.text
    missing = connect(repo_client, project, git_world.url("acme/nothing-here"))
    assert missing.status_code == 404 and missing.json()["detail"]["error"] == "repository_not_found"
    no_token = connect(repo_client, project, git_world.url("acme/private"), token=None)
    assert no_token.status_code == 401
    assert repo_client.get("/api/v1/code/repositories", headers=project.user.headers).json()["total"] == before
    audit = repo_client.get(f"/api/v1/projects/{project.project_id}/audit", headers=project.user.headers).json()
    refusals = [r["metadata"] for r in audit["items"] if r["action"] == "repo.connect_refused"]
    assert sorted(m["error"] for m in refusals) == [
        "git_authentication_failed",
        "git_authentication_failed",
        "repository_not_found",
    ]
    assert all(m["git_url"].startswith(git_world.server.url) for m in refusals)


def test_too_large_is_413_with_the_seed_body_and_stops_near_the_limit(
    make_client,
    git_world: GitWorld,  # type: ignore[no-untyped-def]
) -> None:
    from tests.repos.conftest import create_project

    client = make_client(max_repo_size_mb=1, github_hosts=["github.com"])
    project = create_project(client)
    git_world.repo("acme/huge", random_blobs(8, 1024 * 1024))  # 8 MB of incompressible data
    git_world.server.reset_counters()
    refused = connect(client, project, git_world.url("acme/huge"))
    assert refused.status_code == 413, refused.text
    detail = refused.json()["detail"]
    assert set(detail) == {"error", "message", "estimated_size_mb", "limit_mb"}
    assert detail["error"] == "repository_too_large" and detail["limit_mb"] == 1
    assert detail["estimated_size_mb"] > 1 and "exceeds limit of 1MB" in detail["message"]
    # Killed close to the limit: far less than the 8 MB the repository holds went over the wire.
    assert git_world.server.bytes_sent < 4 * 1024 * 1024, git_world.server.bytes_sent
    assert client.get("/api/v1/code/repositories", headers=project.user.headers).json()["total"] == 0
    leftovers = list((Path(client.app.state.settings.resolved_sandbox_base_path)).rglob("*.pack"))  # type: ignore[attr-defined]
    assert leftovers == []


def test_hosting_api_size_over_the_limit_is_refused_before_any_download(
    repo_client: TestClient, project: ProjectOwner, git_world: GitWorld
) -> None:
    git_world.repo("acme/monorepo", {"x.txt": "x\n"})
    git_world.server.api_sizes_kib["acme/monorepo"] = 160_563  # GitHub says ~156.8 MB
    git_world.server.reset_counters()
    refused = connect(repo_client, project, git_world.url("acme/monorepo"))
    assert refused.status_code == 413
    assert refused.json() == {
        "detail": {
            "error": "repository_too_large",
            "message": "Repository size 156.8MB exceeds limit of 100MB",
            "estimated_size_mb": 156.8,
            "limit_mb": 100,
        }
    }
    assert git_world.server.bytes_sent < 1024  # only ls-remote's ref advertisement; no pack was sent


def test_history_too_large_fails_the_clone_job_at_the_limit(
    make_client,
    git_world: GitWorld,  # type: ignore[no-untyped-def]
) -> None:
    """A small tip over a big history passes the shallow pre-check; the clone's guarded fetch stops it."""
    from tests.repos.conftest import create_project

    client = make_client(max_repo_size_mb=2, github_hosts=["github.com"])
    project = create_project(client)
    builder = git_world.repo("acme/history", {"README.md": "r\n"})
    for round_ in range(3):
        builder.commit(random_blobs(1, 1024 * 1024, seed=round_) | {"README.md": f"round {round_}\n"}, f"r{round_}")
        builder.commit({"data/blob_000.bin": b"small"}, f"shrink {round_}")
    builder.push()
    connected = connect(client, project, git_world.url("acme/history"))
    assert connected.status_code == 201, connected.text
    failed = wait_status(client, project.user, connected.json()["repo_id"], "FAILED", "COMPLETED")
    assert failed["clone_status"] == "FAILED" and failed["error_code"] == "repository_too_large"
    assert "exceeds limit of 2MB" in failed["error_message"] and failed["sandbox_path"] is None


def test_transient_server_errors_are_retried(
    repo_client: TestClient, project: ProjectOwner, git_world: GitWorld
) -> None:
    git_world.repo("acme/flaky", {"a.py": "x = 1\n"})
    git_world.server.api_sizes_kib["acme/flaky"] = 1
    connected = connect(repo_client, project, git_world.url("acme/flaky"))
    assert connected.status_code == 201
    # The clone job meets two 503s (a flaky host) before the server recovers.
    git_world.server.fail_next = 2
    done = wait_status(repo_client, project.user, connected.json()["repo_id"], "COMPLETED", "FAILED")
    assert done["clone_status"] == "COMPLETED"
    runtime = repo_client.app.state.runtime  # type: ignore[attr-defined]
    from trellis.core.jobs import Job

    with runtime.database.session_factory() as session:
        job = session.get(Job, __import__("uuid").UUID(done["task_id"]))
        assert job is not None and job.attempts >= 2 and job.status == "completed"


def test_invalid_urls_are_422_and_never_echo_credentials(repo_client: TestClient, project: ProjectOwner) -> None:
    cases = [
        "not-a-valid-url",
        "ext::sh -c touch% /tmp/pwned",
        "ext::sh",
        "--upload-pack=touch /tmp/pwned",
        "-uhttps://example.com/a.git",
        "ssh://git@github.com/acme/app.git",
        "git@github.com:acme/app.git",
        "git://example.com/acme/app.git",
        "ftp://example.com/acme/app.git",
        "https://x-access-token:ghp_LeakedInUrl0123456789@github.com/acme/app.git",
        "https://github.com/acme/app.git?token=ghp_LeakedInQuery0123456789",
        "https://github.com/../../etc/passwd",
        "https:///nohost",
        "relative/path/repo",
    ]
    for url in cases:
        response = connect(repo_client, project, url)
        assert response.status_code == 422, (url, response.text)
        assert "Invalid Git repository URL format" in response.text, url
        assert "LeakedIn" not in response.text
    assert repo_client.get("/api/v1/code/repositories", headers=project.user.headers).json()["total"] == 0
    short = connect(repo_client, project, "https://github.com/acme/app.git", token="abc")
    assert short.status_code == 422 and "Access token appears to be invalid" in short.text and "abc" not in short.text


def test_plain_http_is_refused_unless_allowed(make_client, git_world: GitWorld) -> None:  # type: ignore[no-untyped-def]
    from tests.repos.conftest import create_project

    client = make_client(repo_allow_http=False)
    project = create_project(client)
    refused = connect(client, project, git_world.url("acme/any"))
    assert refused.status_code == 422 and "https://" in refused.json()["detail"]["message"]


def test_local_repositories_only_under_allowed_roots(
    make_client,
    git_world: GitWorld,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from tests.repos.conftest import create_project
    from tests.repos.git_server import git

    inside = git_world.local_root / "inhouse"
    git("init", "-q", "-b", "main", str(inside))
    (inside / "lib.py").write_text("def helper():\n    return 1\n")
    git("add", "-A", cwd=inside)
    git("commit", "-q", "-m", "lib", cwd=inside)
    outside = tmp_path / "elsewhere"
    git("init", "-q", "-b", "main", str(outside))

    closed = make_client(repo_local_roots=[])
    project = create_project(closed, "Closed")
    refused = connect(closed, project, str(inside), token=None)
    assert refused.status_code == 403 and refused.json()["detail"]["error"] == "local_path_not_allowed"
    assert "TRELLIS_REPO_LOCAL_ROOTS" in refused.json()["detail"]["message"]

    client = make_client()
    project = create_project(client, "Open")
    for path in (str(outside), f"file://{outside}", f"{git_world.local_root}/../elsewhere"):
        denied = connect(client, project, path, token=None)
        assert denied.status_code == 403, (path, denied.text)
    # A symlink inside the allowed root that points outside is resolved, and refused.
    (git_world.local_root / "sneaky").symlink_to(outside)
    assert connect(client, project, str(git_world.local_root / "sneaky"), token=None).status_code == 403

    accepted = connect(client, project, f"file://{inside}", token=None)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["provider"] == "local" and accepted.json()["size_source"] == "local_objects"
    done = wait_status(client, project.user, accepted.json()["repo_id"], "COMPLETED", "FAILED")
    assert done["clone_status"] == "COMPLETED"
    assert (Path(done["sandbox_path"]) / "worktree" / "lib.py").read_text() == "def helper():\n    return 1\n"
    missing = connect(client, project, str(git_world.local_root / "nope"), token=None)
    assert missing.status_code == 404


def test_workspace_authorization(repo_client: TestClient, project: ProjectOwner, git_world: GitWorld) -> None:
    git_world.repo("acme/team", {"a.md": "a\n"})
    git_world.server.api_sizes_kib["acme/team"] = 1
    repo_id = connect(repo_client, project, git_world.url("acme/team")).json()["repo_id"]
    wait_status(repo_client, project.user, repo_id, "COMPLETED")
    outsider = sign_up(repo_client, "mallory@example.com")
    viewer = sign_up(repo_client, "vera@example.com")
    workspace_id = repo_client.get(f"/api/v1/projects/{project.project_id}", headers=project.user.headers).json()[
        "workspace_id"
    ]
    add_member(repo_client, project.user, workspace_id, viewer, "viewer")
    for path in (f"/api/v1/code/repos/{repo_id}", f"/api/v1/code/repos/{repo_id}/status"):
        assert repo_client.get(path, headers=outsider.headers).status_code == 404
        assert repo_client.get(path, headers=viewer.headers).status_code == 200
    assert (
        repo_client.get(f"/api/v1/code/projects/{project.project_id}/repos", headers=outsider.headers).status_code
        == 404
    )
    assert repo_client.get("/api/v1/code/repositories", headers=outsider.headers).json()["total"] == 0
    assert repo_client.post(f"/api/v1/code/repos/{repo_id}/sync", headers=outsider.headers).status_code == 404
    assert repo_client.delete(f"/api/v1/code/repos/{repo_id}", headers=outsider.headers).status_code == 404
    assert repo_client.post(f"/api/v1/code/repos/{repo_id}/sync", headers=viewer.headers).status_code == 403
    assert repo_client.delete(f"/api/v1/code/repos/{repo_id}", headers=viewer.headers).status_code == 403
    body = {"git_url": git_world.url("acme/team"), "project_id": project.project_id, "access_token": TOKEN}
    assert repo_client.post("/api/v1/code/connect", json=body, headers=viewer.headers).status_code == 403
    assert repo_client.post("/api/v1/code/connect", json=body, headers=outsider.headers).status_code == 404
    assert repo_client.get(f"/api/v1/code/repos/{repo_id}/status").status_code == 401
