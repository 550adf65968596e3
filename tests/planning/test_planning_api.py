"""Planning and execution tracking through the API, on a real local git repository: a project validated against its
code is planned (versions keyed by the inputs, diffs), approved through the gateway, and its tasks are worked: the
next task, status changes with history, and done reports that Trellis checks by syncing and re-validating the
repository - refused while the code is missing, accepted once it is committed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import add_member, sign_up
from tests.repos.git_server import git
from tests.validation.test_validation_api import (
    CART_SOURCE,
    CART_TEST,
    World,
    connect,
    make_repository,
    make_world,
    ready_project,
    wait_project,
)

REQUIREMENTS = [
    {"code": "CART-1", "text": "Shoppers add items to the shopping cart."},
    {"code": "CART-2", "text": "Shoppers remove items from the shopping cart."},
    {"code": "CART-3", "text": "Shoppers see the cart total price of every item in the cart."},
    {
        "code": "CART-4",
        "text": "Shoppers apply a discount code to the cart total; the code SAVE10 takes ten percent off.",
        "acceptance_criteria": ["Given a cart total of 50, when the shopper applies SAVE10, then the total is 45."],
        "dependencies": ["CART-3"],
    },
]
DISCOUNT = '''"""Discount codes shoppers apply to the cart total."""


def apply_discount_code(total, code):
    """Apply a discount code to the cart total: SAVE10 takes ten percent off."""
    if code == "SAVE10":
        return round(total * 0.9, 2)
    raise ValueError(f"unknown discount code {code}")
'''
DISCOUNT_TEST = """from cart.discounts import apply_discount_code


def test_discount_code_takes_ten_percent_off_the_cart_total():
    assert apply_discount_code(50.0, "SAVE10") == 45.0
"""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path)


def validated_and_approved(world: World, project_id: str, repository: Path) -> None:
    """Connect the repository, validate the code against the requirements, approve: the project is ready to plan."""
    connect(world, project_id, repository)
    assert world.post(f"/projects/{project_id}/validate-code").status_code == 202
    assert wait_project(world, project_id, "CODE_VALIDATED", "BLOCKED") == "CODE_VALIDATED"
    approved = world.post(f"/projects/{project_id}/gateway", {"action": "approve_validation"})
    assert approved.status_code == 200, approved.text


def planned_project(world: World) -> tuple[str, Path]:
    repository = make_repository(
        world.local_root, "cart", {"cart/shopping_cart.py": CART_SOURCE, "tests/test_shopping_cart.py": CART_TEST}
    )
    project_id = ready_project(world, "Cart", REQUIREMENTS)
    validated_and_approved(world, project_id, repository)
    return project_id, repository


def patch(world: World, path: str, body: dict[str, Any], user: Any = None) -> Any:
    return world.client.patch(f"/api/v1{path}", json=body, headers=(user or world.owner).headers)


def test_plan_versions_diff_tasks_and_verified_done_reports(world: World) -> None:
    project_id, repository = planned_project(world)
    assert world.get(f"/projects/{project_id}/plan").status_code == 404
    early = world.post("/projects", {"name": "Early"}).json()["id"]
    refused = world.post(f"/projects/{early}/plan")
    assert refused.status_code == 409 and refused.json()["detail"]["error"] == "plan_not_ready"

    first = world.post(f"/projects/{project_id}/plan")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["version"] == 1 and body["created"] is True and body["project_status"] == "PLANNING"
    tasks = {t["key"]: t for t in body["plan"]["tasks"]}
    # Partly implemented CART-3 is completed first (CART-4 builds on it); CART-1 and CART-2 exist: verify only.
    assert [(t["id"], t["key"], t["phase"]) for t in body["plan"]["tasks"]] == [
        ("T-001", "build:CART-3", "foundation"),
        ("T-002", "build:CART-4", "core_features"),
        ("T-003", "verify:CART-1", "quality_assurance"),
        ("T-004", "verify:CART-2", "quality_assurance"),
    ]
    assert tasks["build:CART-4"]["depends_on"] == ["T-001"]
    assert body["plan"]["critical_path"] == ["T-001", "T-002"]
    assert tasks["verify:CART-1"]["kind"] == "verify" and tasks["verify:CART-1"]["category"] == "review"
    assert {f["path"] for f in tasks["verify:CART-1"]["files"]} == {
        "cart/shopping_cart.py",
        "tests/test_shopping_cart.py",
    }
    assert "CART-4: Given a cart total of 50" in tasks["build:CART-4"]["dod"][0]["text"]

    # Same inputs: the stored version. The project stays PLANNING.
    again = world.post(f"/projects/{project_id}/plan")
    assert again.status_code == 200 and again.json()["version"] == 1 and again.json()["created"] is False
    assert again.json()["plan"] == body["plan"]

    # Work started while planning keeps its status when the plan is remade for the same work.
    assert patch(world, f"/projects/{project_id}/tasks/T-003", {"status": "in_progress"}).status_code == 200

    # New requirement text: version 2, and the diff names what changed.
    changed = [*REQUIREMENTS[:3], {**REQUIREMENTS[3], "text": REQUIREMENTS[3]["text"] + " Codes are case-insensitive."}]
    assert world.post(f"/projects/{project_id}/requirements/bulk", {"requirements": changed}).status_code == 200
    second = world.post(f"/projects/{project_id}/plan").json()
    assert second["version"] == 2 and second["created"] is True
    versions = world.get(f"/projects/{project_id}/plan/versions").json()
    assert [v["version"] for v in versions["items"]] == [1, 2]
    diff = world.get(f"/projects/{project_id}/plan/diff?from=1&to=2").json()
    assert diff["added"] == [] and diff["removed"] == []
    assert [c["key"] for c in diff["changed"]] == ["build:CART-4"]
    assert diff["changed"][0]["fields"]["requirements"] == {"from": ["CART-4 v1"], "to": ["CART-4 v2"]}
    assert world.get(f"/projects/{project_id}/plan/diff?from=1&to=9").status_code == 404
    assert world.get(f"/projects/{project_id}/tasks/T-003").json()["status"] == "in_progress"
    assert patch(world, f"/projects/{project_id}/tasks/T-003", {"status": "pending"}).status_code == 200

    # Approval through the gateway: PLANNING -> PROMPTS_READY needs a plan of the current requirements.
    approved = world.post(f"/projects/{project_id}/gateway", {"action": "generate_prompts"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["details"]["plan_version"] == 2
    assert world.post(f"/projects/{project_id}/plan").json()["detail"]["error"] == "plan_locked"

    listed = world.get(f"/projects/{project_id}/tasks").json()
    assert listed["counts"]["pending"] == 4 and [t["ready"] for t in listed["items"]] == [True, False, True, True]
    assert world.get(f"/projects/{project_id}/tasks/next").json()["task"]["id"] == "T-001"

    # In-progress work comes first; done is only reachable through a done report.
    moved = patch(world, f"/projects/{project_id}/tasks/T-002", {"status": "in_progress", "note": "starting"})
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    assert world.get(f"/projects/{project_id}/tasks/next").json()["task"]["id"] == "T-002"
    refused = patch(world, f"/projects/{project_id}/tasks/T-002", {"status": "done"})
    assert refused.status_code == 422 and refused.json()["detail"]["error"] == "verification_required"
    assert patch(world, f"/projects/{project_id}/tasks/T-002", {"status": "finished"}).status_code == 422
    assert world.get(f"/projects/{project_id}/tasks/T-999").status_code == 404

    # Reported done without the code: refused with the reasons, moved to review.
    report = world.post(f"/projects/{project_id}/tasks/T-002/done", {"note": "discounts work"})
    assert report.status_code == 200, report.text
    outcome = report.json()
    assert outcome["accepted"] is False and outcome["status"] == "review"
    assert any("CART-4 implemented" in r and "missing" in r for r in outcome["reasons"]), outcome["reasons"]
    assert any("T-001 (pending)" in r for r in outcome["reasons"]), outcome["reasons"]
    assert outcome["verification"]["repository"]["synced"] is True

    # The code is committed to the repository; the done reports sync, re-validate and accept.
    for relative, content in {"cart/discounts.py": DISCOUNT, "tests/test_discounts.py": DISCOUNT_TEST}.items():
        (repository / relative).write_text(content)
    git("add", "-A", cwd=repository)
    git("commit", "-q", "-m", "discount codes", cwd=repository)
    head = git("rev-parse", "HEAD", cwd=repository).strip()
    done_first = world.post(f"/projects/{project_id}/tasks/T-001/done").json()
    assert done_first["accepted"] is True, done_first
    assert done_first["verification"]["commit_sha"] == head
    done = world.post(f"/projects/{project_id}/tasks/T-002/done", {"note": "with the code this time"}).json()
    assert done["accepted"] is True and done["status"] == "done", done
    assert done["verification"]["requirements"]["CART-4"]["status"] == "implemented"
    assert done["verification"]["requirements"]["CART-4"]["tests"] == ["tests/test_discounts.py"]

    detail = world.get(f"/projects/{project_id}/tasks/T-002").json()
    assert [(e["from_status"], e["to_status"]) for e in detail["history"]] == [
        (None, "pending"),
        ("pending", "in_progress"),
        ("in_progress", "review"),
        ("review", "done"),
    ]
    assert detail["history"][2]["verification"]["accepted"] is False
    assert detail["history"][2]["note"] == "discounts work"
    audit = world.get(f"/projects/{project_id}/audit?limit=500").json()["items"]
    assert [r["to_state"] for r in audit if r["action"] == "task.reported_done"].count("review") == 1


def test_viewers_read_outsiders_see_nothing(world: World) -> None:
    project_id, _ = planned_project(world)
    assert world.post(f"/projects/{project_id}/plan").status_code == 201
    workspace_id = world.get(f"/projects/{project_id}").json()["workspace_id"]
    viewer = sign_up(world.client, "victor@example.com")
    add_member(world.client, world.owner, workspace_id, viewer, "viewer")
    outsider = sign_up(world.client, "mallory@example.com")

    assert world.get(f"/projects/{project_id}/plan", viewer).status_code == 200
    assert world.get(f"/projects/{project_id}/tasks", viewer).json()["total"] == 4
    assert world.post(f"/projects/{project_id}/plan", None, viewer).status_code == 403
    assert patch(world, f"/projects/{project_id}/tasks/T-001", {"status": "in_progress"}, viewer).status_code == 403
    assert world.post(f"/projects/{project_id}/tasks/T-001/done", None, viewer).status_code == 403
    for path in ("plan", "tasks", "tasks/next", "tasks/T-001", "plan/versions"):
        response = world.get(f"/projects/{project_id}/{path}", outsider)
        assert response.status_code == 404 and response.json()["detail"]["error"] == "project_not_found", path
    assert world.post(f"/projects/{project_id}/tasks/T-001/done", None, outsider).status_code == 404

    # With the repository disconnected, nothing can be re-validated: the report is refused and says why.
    repo_id = world.get(f"/code/projects/{project_id}/repos").json()[0]["id"]
    assert world.client.delete(f"/api/v1/code/repos/{repo_id}", headers=world.owner.headers).status_code == 202
    outcome = world.post(f"/projects/{project_id}/tasks/T-003/done").json()
    assert outcome["accepted"] is False and outcome["status"] == "review"
    assert (
        outcome["reasons"][0].startswith("No repository is connected") and outcome["verification"]["commit_sha"] is None
    )


def test_traceability_from_qa_answer_to_verified_task(world: World) -> None:
    repository = make_repository(
        world.local_root, "cart", {"cart/shopping_cart.py": CART_SOURCE, "tests/test_shopping_cart.py": CART_TEST}
    )
    project_id = world.post("/projects", {"name": "Traced"}).json()["id"]
    requirements = [
        {"code": "CART-1", "text": "Shoppers see the cart total price of the shopping cart quickly."},
        {"code": "CART-2", "text": "Shoppers add items to the shopping cart."},
        {"code": "CART-3", "text": "Shoppers remove items from the shopping cart."},
    ]
    assert world.post(f"/projects/{project_id}/requirements/bulk", {"requirements": requirements}).status_code == 200
    assert world.post(f"/projects/{project_id}/gateway", {"action": "initialize_requirements"}).status_code == 200
    questions = world.post(f"/projects/{project_id}/refine", {}).json()["questions"]
    # "Shoppers see ..." has no modal verb to phrase a criterion from: no recommended option, the user writes one.
    question = next(
        q for q in questions if q["requirement_code"] == "CART-1" and q["category"] == "missing_acceptance_criteria"
    )
    assert question["recommended_option"] is None
    criterion = "Given a cart with two items, when it is shown, then the total is the sum of their prices."
    answered = world.post(
        f"/projects/{project_id}/refine", {"answers": [{"question_id": question["id"], "answer": criterion}]}
    )
    assert answered.status_code == 200, answered.text
    finalized = world.post(f"/projects/{project_id}/gateway", {"action": "finalize_requirements", "force": True})
    assert finalized.status_code == 200, finalized.text
    validated_and_approved(world, project_id, repository)
    plan = world.post(f"/projects/{project_id}/plan").json()["plan"]
    # "quickly" is still unmeasured after the answer: the open question is researched before CART-1 is completed.
    assert [(t["id"], t["key"]) for t in plan["tasks"]][:2] == [("T-001", "research:CART-1"), ("T-002", "build:CART-1")]
    validated = world.get(f"/projects/{project_id}/validation-results").json()["latest"]["report"]["requirements"][0]

    matrix = world.get(f"/projects/{project_id}/traceability").json()
    assert matrix["plan_version"] == 1 and [e["code"] for e in matrix["requirements"]] == ["CART-1", "CART-2", "CART-3"]
    entry = matrix["requirements"][0]
    assert entry["current_version"] == 2
    assert [(v["version"], v["source"]) for v in entry["versions"]] == [(1, "bulk"), (2, "refinement")]
    [change] = entry["versions"][1]["changed_by_qa"]
    assert change["question_id"] == question["id"] and change["option_id"] is None and change["answer"] == criterion
    assert entry["versions"][1]["acceptance_criteria"] == [criterion]
    assert change["category"] == question["category"]
    evidence = entry["code_evidence"]
    assert evidence["validated_version"] == 2 and evidence["status"] == validated["status"] == "partial"
    assert [f["path"] for f in evidence["files"]] == [x["path"] for x in validated["links"] if x["linked"]]
    assert "cart/shopping_cart.py" in [f["path"] for f in evidence["files"]]
    assert [(t["id"], t["status"], t["planned_from_version"]) for t in entry["tasks"]] == [
        ("T-001", "pending", 2),
        ("T-002", "pending", 2),
    ]
    assert "missing_metric" in [f["category"] for f in entry["findings"]]
    assert entry["prompts"] == [] and matrix["prompts_note"]

    by_file = world.get(f"/projects/{project_id}/traceability?file=cart/shopping_cart.py").json()
    assert "CART-1" in [r["code"] for r in by_file["requirements"]]
    assert {"id": "T-002", "title": plan["tasks"][1]["title"], "status": "pending", "action": "modify"} in by_file[
        "tasks"
    ]
    assert world.get(f"/projects/{project_id}/traceability?file=./cart/shopping_cart.py").json() == by_file
    by_task = world.get(f"/projects/{project_id}/traceability?task=T-002").json()
    assert by_task["task"]["id"] == "T-002" and by_task["requirements"][0]["planned_from_version"] == 2
    assert world.get(f"/projects/{project_id}/traceability?task=T-404").status_code == 404

    exported = world.client.get(
        f"/api/v1/projects/{project_id}/traceability", headers={**world.owner.headers, "Accept": "text/csv"}
    )
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0].startswith("requirement,version,current,source,changed_by_qa")
    assert lines[1].startswith("CART-1,1,no,bulk,")
    assert lines[2].startswith("CART-1,2,yes,refinement,") and ",partial," in lines[2] and "T-001; T-002" in lines[2]
    assert world.get(f"/projects/{project_id}/traceability?format=xml").status_code == 422

    # The research task is done when the open question is settled in the requirement, not before.
    refused = world.post(f"/projects/{project_id}/tasks/T-001/done").json()
    assert refused["accepted"] is False
    assert refused["reasons"] == [f"{plan['tasks'][0]['dod'][0]['text']} - still open: missing_metric"]
    measured = {**requirements[0], "text": "Shoppers see the cart total price of the shopping cart within 1 second."}
    saved = world.post(f"/projects/{project_id}/requirements/bulk", {"requirements": [measured, *requirements[1:]]})
    assert saved.status_code == 200
    accepted = world.post(f"/projects/{project_id}/tasks/T-001/done").json()
    assert accepted["accepted"] is True and accepted["verification"]["checks"][0]["detail"] == "no open finding left"


def test_gateway_from_plan_approval_to_done_only_when_every_task_is_verified(world: World) -> None:
    project_id, repository = planned_project(world)
    assert world.post(f"/projects/{project_id}/gateway", {"action": "generate_prompts"}).json()["detail"]["guard"] == (
        "plan_complete"
    )
    assert world.post(f"/projects/{project_id}/plan").status_code == 201
    assert world.post(f"/projects/{project_id}/gateway", {"action": "generate_prompts"}).status_code == 200
    assert world.post(f"/projects/{project_id}/prompts").status_code == 201
    began = world.post(f"/projects/{project_id}/gateway", {"action": "begin_execution"})
    assert began.status_code == 200 and began.json()["to_state"] == "EXECUTING", began.text

    refused = world.post(f"/projects/{project_id}/gateway", {"action": "complete_execution"})
    assert refused.status_code == 409
    assert refused.json()["detail"]["guard"] == "tasks_done" and refused.json()["detail"]["not_done"] == 4

    for relative, content in {"cart/discounts.py": DISCOUNT, "tests/test_discounts.py": DISCOUNT_TEST}.items():
        (repository / relative).write_text(content)
    git("add", "-A", cwd=repository)
    git("commit", "-q", "-m", "discount codes", cwd=repository)
    while (task := world.get(f"/projects/{project_id}/tasks/next").json()["task"]) is not None:
        outcome = world.post(f"/projects/{project_id}/tasks/{task['id']}/done").json()
        assert outcome["accepted"] is True, outcome
    assert world.get(f"/projects/{project_id}/tasks").json()["counts"]["done"] == 4
    assert world.get(f"/projects/{project_id}/tasks/next").json()["message"] == "Every task is done."

    finished = world.post(f"/projects/{project_id}/gateway", {"action": "complete_execution"})
    assert finished.status_code == 200 and finished.json()["to_state"] == "DONE", finished.text
    assert finished.json()["details"]["tasks_done"] == 4
    after = patch(world, f"/projects/{project_id}/tasks/T-001", {"status": "in_progress"})
    assert after.status_code == 409 and after.json()["detail"]["error"] == "project_not_executing"


def test_done_reports_at_the_same_time_each_sync_and_see_the_new_commit(world: World) -> None:
    project_id, repository = planned_project(world)
    assert world.post(f"/projects/{project_id}/plan").status_code == 201
    for relative, content in {"cart/discounts.py": DISCOUNT, "tests/test_discounts.py": DISCOUNT_TEST}.items():
        (repository / relative).write_text(content)
    git("add", "-A", cwd=repository)
    git("commit", "-q", "-m", "discount codes", cwd=repository)
    head = git("rev-parse", "HEAD", cwd=repository).strip()
    outcomes: dict[str, Any] = {}

    def report(task_id: str) -> None:
        outcomes[task_id] = world.post(f"/projects/{project_id}/tasks/{task_id}/done").json()

    threads = [threading.Thread(target=report, args=(task_id,)) for task_id in ("T-001", "T-003", "T-004")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all("verification" in o for o in outcomes.values()), outcomes
    assert {task_id: o["verification"]["commit_sha"] for task_id, o in outcomes.items()} == {
        "T-001": head,
        "T-003": head,
        "T-004": head,
    }
    assert all(o["accepted"] for o in outcomes.values()), outcomes


IMPORTED = """# Cart

## CART-1: Add items
Shoppers add items to the shopping cart.

## CART-2: Remove items
Shoppers remove items from the shopping cart.

## CART-3: Cart total
Shoppers see the cart total price of every item in the cart.

## CART-4: Discount codes
Shoppers apply a discount code to the cart total through the API; the code SAVE10 takes ten percent off.
- Acceptance: Given a cart total of 50, when the shopper applies SAVE10, then the total is 45.
- Depends on: CART-3
"""


def test_imported_heading_titles_name_tasks_and_the_docs_task_names_the_clone_readme(world: World) -> None:
    readme = "# Cart\n\nA shopping cart.\n\n## Discount codes\n\nNone yet.\n"
    repository = make_repository(
        world.local_root,
        "cart-docs",
        {"cart/shopping_cart.py": CART_SOURCE, "tests/test_shopping_cart.py": CART_TEST, "README.md": readme},
    )
    project_id = world.post("/projects", {"name": "Cart docs"}).json()["id"]
    imported = world.post(f"/projects/{project_id}/requirements/import", {"content": IMPORTED, "filename": "r.md"})
    assert imported.status_code == 200, imported.text
    listed = world.get(f"/projects/{project_id}/requirements?analysis=false").json()["items"]
    assert [(r["code"], r["title"]) for r in listed] == [
        ("CART-1", "Add items"),
        ("CART-2", "Remove items"),
        ("CART-3", "Cart total"),
        ("CART-4", "Discount codes"),
    ]
    assert world.post(f"/projects/{project_id}/gateway", {"action": "initialize_requirements"}).status_code == 200
    world.post(f"/projects/{project_id}/gateway", {"action": "finalize_requirements", "force": True})
    validated_and_approved(world, project_id, repository)

    plan = world.post(f"/projects/{project_id}/plan").json()["plan"]
    tasks = {t["key"]: t for t in plan["tasks"]}
    assert tasks["build:CART-4"]["title"] == "Implement CART-4: Discount codes"
    assert tasks["build:CART-4"]["requirements"][0]["title"] == "Discount codes"
    assert [(f["path"], f["action"], f["why"]) for f in tasks["docs"]["files"]] == [
        ("README.md", "modify", "section 'Discount codes' covers CART-4 (Discount codes)")
    ]
