"""Code validation through the API: a project with requirements and a cloned local repository goes
REQS_READY -> CODE_VALIDATION_REQUESTED -> CODE_VALIDATING -> CODE_VALIDATED (and on to PLAN_READY when the score
is above 70%), results are stored per (repository, commit, requirements) and re-used, every step is audited."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import SignedInUser, add_member, make_settings, sign_up, wait_for, wait_for_job
from tests.repos.git_server import git
from trellis.core.jobs import JobContext, enqueue, job_handler
from trellis.core.runtime import Runtime
from trellis.main import create_app
from trellis.validation.models import ValidationRun
from trellis.validation.service import MAX_STORED_LINKS, VALIDATION_JOB

SHELF = Path(__file__).parent / "fixtures" / "shelf"
# The shelf fixture's requirements without LIB-9, plus one nothing in the code is about.
MISSING = {"code": "LIB-10", "text": "Visiting astronauts can stream holographic karaoke videos in zero gravity."}
# A second one (LIB-3 became implemented with ENGINE_VERSION 6: "five" is no word to look for), so that the score
# stays below the approval threshold and the refusal path is still tested.
MISSING_TOO = {"code": "LIB-11", "text": "Members can rent a rowing boat on the lake by the hour."}

CART_SOURCE = """\
'''The shopping cart: items a shopper wants to buy, and their total price.'''


class ShoppingCart:
    '''Items in the cart with their quantities and prices.'''

    def __init__(self):
        self.items = {}

    def add_item(self, name, price, quantity=1):
        '''Add an item to the shopping cart (or more of it).'''
        count, _ = self.items.get(name, (0, price))
        self.items[name] = (count + quantity, price)

    def remove_item(self, name):
        '''Remove an item from the shopping cart.'''
        self.items.pop(name, None)

    def cart_total(self):
        '''The total price of every item in the cart.'''
        return sum(count * price for count, price in self.items.values())
"""
CART_TEST = """\
from cart.shopping_cart import ShoppingCart


def test_add_and_remove_items_changes_the_cart_total():
    cart = ShoppingCart()
    cart.add_item("pen", 2.0, quantity=3)
    cart.add_item("ink", 5.0)
    cart.remove_item("pen")
    assert cart.cart_total() == 5.0
"""


# A job that occupies the only worker thread until the test releases it, so the test can change the world
# between the validation request and the moment its job runs.
_RELEASE = threading.Event()


@job_handler("tests.validation.hold", max_attempts=1)
def _hold_the_worker(ctx: JobContext, payload: dict[str, Any]) -> None:
    _RELEASE.wait(timeout=30)


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    local_root: Path
    owner: SignedInUser

    def post(self, path: str, body: Any = None, user: SignedInUser | None = None) -> Any:
        return self.client.post(f"/api/v1{path}", json=body, headers=(user or self.owner).headers)

    def get(self, path: str, user: SignedInUser | None = None) -> Any:
        return self.client.get(f"/api/v1{path}", headers=(user or self.owner).headers)


def make_world(tmp_path: Path, **overrides: Any) -> Iterator[World]:
    local_root = tmp_path / "local-repos"
    local_root.mkdir()
    settings = make_settings(
        tmp_path / "data", repo_local_roots=[str(local_root)], sandbox_base_path=tmp_path / "sandboxes", **overrides
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        yield World(client, runtime, local_root, sign_up(client, "olivia@example.com"))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path)


@pytest.fixture
def one_worker(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path, job_concurrency=1)


def make_repository(root: Path, name: str, files: dict[str, str]) -> Path:
    path = root / name
    path.mkdir()
    git("init", "-q", "-b", "main", str(path))
    for relative, content in files.items():
        (path / relative).parent.mkdir(parents=True, exist_ok=True)
        (path / relative).write_text(content)
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "initial", cwd=path)
    return path


def shelf_files() -> dict[str, str]:
    return {
        p.relative_to(SHELF).as_posix(): p.read_text()
        for p in sorted(SHELF.rglob("*.py"))
        if p.relative_to(SHELF).parts[0] in ("shelf", "tests")
    }


def ready_project(world: World, name: str, requirements: list[dict[str, Any]]) -> str:
    project_id: str = world.post("/projects", {"name": name}).json()["id"]
    saved = world.post(f"/projects/{project_id}/requirements/bulk", {"requirements": requirements})
    assert saved.status_code == 200, saved.text
    assert world.post(f"/projects/{project_id}/gateway", {"action": "initialize_requirements"}).status_code == 200
    finalized = world.post(f"/projects/{project_id}/gateway", {"action": "finalize_requirements", "force": True})
    assert finalized.json()["to_state"] == "REQS_READY", finalized.text
    return project_id


def connect(world: World, project_id: str, repository: Path) -> dict[str, Any]:
    connected = world.post("/code/connect", {"git_url": f"file://{repository}", "project_id": project_id})
    assert connected.status_code == 201, connected.text
    repo_id = connected.json()["repo_id"]

    def cloned() -> dict[str, Any] | None:
        status: dict[str, Any] = world.get(f"/code/repos/{repo_id}/status").json()
        return status if status["clone_status"] in ("COMPLETED", "FAILED") else None

    status: dict[str, Any] = wait_for(cloned, timeout=30, what="the clone")
    assert status["clone_status"] == "COMPLETED", status
    return status


def wait_project(world: World, project_id: str, *states: str) -> str:
    def reached() -> str | None:
        status: str = world.get(f"/projects/{project_id}").json()["status"]
        return status if status in states else None

    result: str = wait_for(reached, timeout=60, what=f"project to be one of {states}")
    return result


def audit_steps(world: World, project_id: str) -> list[tuple[str, str | None, str | None]]:
    items = world.get(f"/projects/{project_id}/audit?limit=500").json()["items"]
    rows = sorted(items, key=lambda r: r["created_at"])
    return [(r["action"], r["from_state"], r["to_state"]) for r in rows if r["action"].startswith("project.")]


def test_validate_store_reuse_and_gateway(world: World) -> None:
    requirements = json.loads((SHELF / "requirements.json").read_text())["requirements"]
    project_id = ready_project(
        world, "Shelf", [r for r in requirements if r["code"] != "LIB-9"] + [MISSING, MISSING_TOO]
    )

    # No repository: a clear 409, nothing changes.
    refused = world.post(f"/projects/{project_id}/validate-code")
    assert refused.status_code == 409 and "No repository is connected" in refused.json()["detail"]["message"]
    assert world.get(f"/projects/{project_id}").json()["status"] == "REQS_READY"

    status = connect(world, project_id, make_repository(world.local_root, "shelf", shelf_files()))
    accepted = world.post(f"/projects/{project_id}/validate-code", {"correlation_id": "corr-val-1"})
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    run_id = body["validation_run_id"]
    assert body["reused"] is False and body["commit_sha"] == status["commit_sha"] and body["job_id"]
    assert body["project_status"] == "CODE_VALIDATION_REQUESTED"
    assert accepted.headers["Location"] == f"/api/v1/projects/{project_id}/validation-results/{run_id}"
    job = wait_for_job(world.runtime, uuid.UUID(body["job_id"]), "completed", timeout=60)
    assert job.result["reused"] is False and job.result["stored"] is True
    assert wait_project(world, project_id, "CODE_VALIDATED", "BLOCKED") == "CODE_VALIDATED"

    results = world.get(f"/projects/{project_id}/validation-results").json()
    latest = results["latest"]
    assert results["project_status"] == "CODE_VALIDATED" and results["total"] == 1
    assert latest["id"] == run_id and latest["status"] == "completed" and latest["files_indexed"] == 13
    assert latest["compliance_score"] == 0.6534 and latest["passed"] is False
    assert latest["dimensions"] == {
        "structural_alignment": 0.8,
        "pattern_compliance": 0.4688,
        "functional_coverage": 0.65,
        "quality_indicators": 0.6875,
    }
    assert (latest["implemented_count"], latest["partial_count"], latest["missing_count"]) == (5, 3, 2)
    report = latest["report"]
    by_code = {r["code"]: r for r in report["requirements"]}
    assert by_code["LIB-6"]["status"] == "implemented" and by_code["LIB-10"]["status"] == "missing"
    auth = by_code["LIB-6"]["links"][0]
    assert auth["path"] == "shelf/auth.py" and auth["linked"] is True
    symbols = [e for e in auth["evidence"] if e["kind"] == "symbol"]
    assert symbols and all(len(e["lines"]) == 2 and e["lines"][0] <= e["lines"][1] for e in symbols)
    assert not any(link["linked"] for link in by_code["LIB-10"]["links"])
    assert all(len(r["links"]) <= MAX_STORED_LINKS for r in report["requirements"])
    assert report["gaps"]["missing"] == ["LIB-10", "LIB-11"] and report["scores"]["compliance_score"] == 0.6534
    assert {"kind": "implement", "priority": "high", "requirement": "LIB-10"}.items() <= next(
        r for r in report["recommendations"] if r["kind"] == "implement"
    ).items()
    assert [u["path"] for u in report["unrequested"]] == ["shelf/cli.py", "shelf/__init__.py"]  # most symbols first

    # Same commit, same requirements: the stored result, not a new computation (200, no job).
    again = world.post(f"/projects/{project_id}/validate-code")
    assert again.status_code == 200 and again.json()["reused"] is True and again.json()["job_id"] is None
    assert again.json()["validation_run_id"] == run_id and "nothing recomputed" in again.json()["message"]

    # 65.3% is not above 70%: approval is refused with the score.
    approve = world.post(f"/projects/{project_id}/gateway", {"action": "approve_validation"})
    assert approve.status_code == 409 and approve.json()["detail"]["guard"] == "validation_score_above_70"
    assert "65%" in approve.json()["detail"]["message"] and approve.json()["detail"]["compliance_score"] == 0.6534

    # Blocked and retried through validate-code: the gateway steps run again, the result is re-used by the job.
    assert world.post(f"/projects/{project_id}/gateway", {"action": "block", "reason": "check"}).status_code == 200
    retried = world.post(f"/projects/{project_id}/validate-code")
    assert retried.status_code == 202 and retried.json()["reused"] is True
    assert retried.json()["validation_run_id"] == run_id
    rerun = wait_for_job(world.runtime, uuid.UUID(retried.json()["job_id"]), "completed", timeout=60)
    assert rerun.result == {"run_id": run_id, "reused": True}
    assert wait_project(world, project_id, "CODE_VALIDATED", "BLOCKED") == "CODE_VALIDATED"
    again_results = world.get(f"/projects/{project_id}/validation-results").json()
    assert again_results["total"] == 1 and again_results["latest"]["times_requested"] == 3
    assert again_results["latest"]["completed_at"] == latest["completed_at"]

    steps = audit_steps(world, project_id)
    validation_steps = steps[steps.index(("project.request_validation", "REQS_READY", "CODE_VALIDATION_REQUESTED")) :]
    assert validation_steps == [
        ("project.request_validation", "REQS_READY", "CODE_VALIDATION_REQUESTED"),
        ("project.start_validation", "CODE_VALIDATION_REQUESTED", "CODE_VALIDATING"),
        ("project.complete_validation", "CODE_VALIDATING", "CODE_VALIDATED"),
        ("project.block", "CODE_VALIDATED", "BLOCKED"),
        ("project.retry_validation", "BLOCKED", "CODE_VALIDATION_REQUESTED"),
        ("project.start_validation", "CODE_VALIDATION_REQUESTED", "CODE_VALIDATING"),
        ("project.complete_validation", "CODE_VALIDATING", "CODE_VALIDATED"),
    ]
    records = world.get(f"/projects/{project_id}/audit?limit=500").json()["items"]
    first = [r for r in records if r["correlation_id"] == "corr-val-1"]
    assert {r["action"] for r in first} >= {"project.start_validation", "project.complete_validation"}
    completions = sorted(
        (r for r in records if r["action"] == "project.complete_validation"), key=lambda r: r["created_at"]
    )
    assert "compliance 65%" in completions[0]["metadata"]["reason"]
    assert completions[1]["metadata"]["reason"].startswith("re-used: compliance 65%")


def test_passing_score_goes_to_plan_ready_and_a_job_run_twice_stores_once(world: World) -> None:
    repository = make_repository(
        world.local_root,
        "cart",
        {"cart/shopping_cart.py": CART_SOURCE, "tests/test_shopping_cart.py": CART_TEST},
    )
    requirement = {
        "code": "CART-1",
        "text": "Shoppers add items to the shopping cart, remove items from it, and see the cart total price.",
    }
    project_id = ready_project(world, "Cart", [requirement])
    connect(world, project_id, repository)
    accepted = world.post(f"/projects/{project_id}/validate-code").json()
    # The same job delivered twice (a duplicate message, a swept lease): one stored result, each step audited once.
    first_job = uuid.UUID(accepted["job_id"])
    with world.runtime.database.session_factory() as session:
        from trellis.core.jobs import get_job

        payload = get_job(session, first_job).payload  # type: ignore[union-attr]
    duplicate = enqueue(VALIDATION_JOB, payload)
    wait_for_job(world.runtime, first_job, "completed", timeout=60)
    wait_for_job(world.runtime, duplicate, "completed", timeout=60)
    assert wait_project(world, project_id, "CODE_VALIDATED", "BLOCKED") == "CODE_VALIDATED"
    with world.runtime.database.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ValidationRun)) == 1
    steps = [step[0] for step in audit_steps(world, project_id)]
    assert steps.count("project.start_validation") == 1 and steps.count("project.complete_validation") == 1

    latest = world.get(f"/projects/{project_id}/validation-results").json()["latest"]
    assert latest["compliance_score"] == 0.95 and latest["passed"] is True  # "shoppers" now meets ShoppingCart
    cart = latest["report"]["requirements"][0]
    assert cart["status"] == "implemented" and [t["path"] for t in cart["tests"] if t["linked"]] == [
        "tests/test_shopping_cart.py"
    ]
    approved = world.post(f"/projects/{project_id}/gateway", {"action": "approve_validation"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["to_state"] == "PLAN_READY" and approved.json()["details"]["compliance_score"] == 0.95


def test_outsiders_viewers_and_states(world: World) -> None:
    project_id = ready_project(world, "Guarded", [{"code": "G-1", "text": "Shoppers see the cart total price."}])
    workspace_id = world.get(f"/projects/{project_id}").json()["workspace_id"]
    outsider = sign_up(world.client, "mallory@example.com")
    viewer = sign_up(world.client, "vera@example.com")
    add_member(world.client, world.owner, workspace_id, viewer, "viewer")
    for path in (
        f"/projects/{project_id}/validation-results",
        f"/projects/{project_id}/validation-results/{uuid.uuid4()}",
    ):
        assert world.get(path, outsider).status_code == 404
    assert world.post(f"/projects/{project_id}/validate-code", None, outsider).status_code == 404
    assert world.post(f"/projects/{project_id}/validate-code", None, viewer).status_code == 403
    empty = world.get(f"/projects/{project_id}/validation-results", viewer).json()
    assert empty["latest"] is None and empty["history"] == [] and empty["total"] == 0
    assert world.get(f"/projects/{project_id}/validation-results/{uuid.uuid4()}").status_code == 404
    assert world.get(f"/projects/{project_id}/validation-results/not-a-run").status_code == 404

    # A connected repository whose clone has not finished: 409 repository_not_ready, the project stays put.
    repository = make_repository(world.local_root, "slow", {"cart.py": "def cart_total():\n    return 0\n"})
    repo_id = connect(world, project_id, repository)["repo_id"]
    with world.runtime.database.session_factory() as session:
        from trellis.repos.models import CodeRepository

        row = session.get(CodeRepository, uuid.UUID(repo_id))
        assert row is not None
        row.clone_status = "CLONING"
        session.commit()
    not_ready = world.post(f"/projects/{project_id}/validate-code")
    assert not_ready.status_code == 409 and not_ready.json()["detail"]["error"] == "repository_not_ready"
    assert world.get(f"/projects/{project_id}").json()["status"] == "REQS_READY"

    # A project still being refined cannot be validated: the gateway's 409 names what is allowed.
    draft = world.post("/projects", {"name": "Draft"}).json()["id"]
    invalid = world.post(f"/projects/{draft}/validate-code")
    assert invalid.status_code == 409 and invalid.json()["detail"]["error"] == "invalid_transition"
    assert invalid.json()["detail"]["allowed_actions"] == ["initialize_requirements", "block"]


def test_repository_gone_when_the_job_runs_blocks_the_project_with_the_reason(one_worker: World) -> None:
    world = one_worker
    project_id = ready_project(world, "Gone", [{"code": "G-1", "text": "Shoppers see the cart total price."}])
    repository = make_repository(world.local_root, "gone", {"cart.py": "def cart_total():\n    return 0\n"})
    repo_id = connect(world, project_id, repository)["repo_id"]
    _RELEASE.clear()
    hold = enqueue("tests.validation.hold", {})
    wait_for_job(world.runtime, hold, "running")
    accepted = world.post(f"/projects/{project_id}/validate-code")
    assert accepted.status_code == 202, accepted.text
    # Disconnected while the validation job waits for the worker.
    assert world.client.delete(f"/api/v1/code/repos/{repo_id}", headers=world.owner.headers).status_code == 202
    _RELEASE.set()
    job = wait_for_job(world.runtime, uuid.UUID(accepted.json()["job_id"]), "failed", timeout=60)
    assert "No repository is connected" in (job.last_error or "")
    assert wait_project(world, project_id, "BLOCKED", "CODE_VALIDATED") == "BLOCKED"

    latest = world.get(f"/projects/{project_id}/validation-results").json()["latest"]
    assert latest["status"] == "failed" and latest["error_code"] == "repository_not_ready"
    assert latest["compliance_score"] is None and latest["report"] is None
    steps = audit_steps(world, project_id)
    assert steps[-3:] == [
        ("project.request_validation", "REQS_READY", "CODE_VALIDATION_REQUESTED"),
        ("project.start_validation", "CODE_VALIDATION_REQUESTED", "CODE_VALIDATING"),
        ("project.block", "CODE_VALIDATING", "BLOCKED"),
    ]
    records = world.get(f"/projects/{project_id}/audit?limit=500").json()["items"]
    block = next(r for r in records if r["action"] == "project.block")
    assert block["metadata"]["reason"].startswith("Code validation failed (repository_not_ready): No repository")
    # Retrying needs a repository again: the gateway's guard says so, and nothing changes.
    retry = world.post(f"/projects/{project_id}/validate-code")
    assert retry.status_code == 409 and retry.json()["detail"]["guard"] == "repository_connected"
    assert world.get(f"/projects/{project_id}").json()["status"] == "BLOCKED"
