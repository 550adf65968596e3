"""Prompts through the API on a real planned project: generate (idempotent per plan and template versions), read,
export; workspace template overrides with versions and preview; RBAC like the other project routes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import add_member, row_counts, sign_up
from tests.planning.test_planning_api import planned_project
from tests.validation.test_validation_api import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path)


def put(world: World, path: str, body: dict) -> object:
    return world.client.put(f"/api/v1{path}", json=body, headers=world.owner.headers)


def test_generate_read_export_and_override_templates(world: World) -> None:
    project_id, _ = planned_project(world)
    assert world.get(f"/projects/{project_id}/prompts").json()["detail"]["error"] == "prompts_not_generated"
    plan = world.post(f"/projects/{project_id}/plan").json()
    tasks = {t["key"]: t for t in plan["plan"]["tasks"]}

    first = world.post(f"/projects/{project_id}/prompts")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] is True and body["plan_version"] == 1 and body["token_counter"] == "cl100k_base"
    assert body["total"] == 4 * len(tasks)
    assert all(v.startswith("builtin:") for v in body["template_versions"].values())
    discount = tasks["build:CART-4"]
    prompt = next(p for p in body["items"] if p["task_id"] == discount["id"] and p["category"] == "implementation")
    assert "Given a cart total of 50, when the shopper applies SAVE10, then the total is 45." in prompt["text"]
    # The cart code quoted from the clone, and the task it builds on.
    assert "def cart_total(self):" in prompt["text"] and f"- {discount['depends_on'][0]} " in prompt["text"]
    assert prompt["token_count"] <= prompt["token_budget"] == 4000

    # Same plan, same templates: the stored prompts, nothing new written.
    again = world.post(f"/projects/{project_id}/prompts")
    assert again.status_code == 200 and again.json()["created"] is False
    assert [p["id"] for p in again.json()["items"]] == [p["id"] for p in body["items"]]

    only = world.get(f"/projects/{project_id}/prompts?task_id={discount['id']}&category=testing").json()
    assert only["total"] == 1 and only["items"][0]["category"] == "testing"

    bundle = world.client.get(f"/api/v1/projects/{project_id}/prompts/export", headers=world.owner.headers)
    assert bundle.headers["content-type"].startswith("text/markdown") and bundle.text.startswith("# Prompts: Cart")
    checklist = world.client.get(
        f"/api/v1/projects/{project_id}/prompts/export?format=tasks", headers=world.owner.headers
    )
    assert (
        f"- [ ] **{discount['id']}**" in checklist.text
        and f"  - Depends on: {discount['depends_on'][0]}" in checklist.text
    )
    exported = world.client.get(
        f"/api/v1/projects/{project_id}/prompts/export?format=json", headers=world.owner.headers
    )
    assert exported.json()["plan_version"] == 1 and len(exported.json()["tasks"]) == len(tasks)

    # A workspace override: a new template version, used by the next generation.
    override = world.post(
        "/prompt-templates",
        {
            "category": "review",
            "text": "REVIEW {{ task.id }} for {{ project.name }}\n"
            "{% for r in requirements %}- {{ r.code }}\n{% endfor %}",
        },
    )
    assert override.status_code == 201, override.text
    assert override.json()["version"] == "workspace:1" and override.json()["source"] == "workspace"
    edited = put(
        world, f"/prompt-templates/{override.json()['id']}", {"text": "REVIEW v2 {{ task.id }}", "note": "shorter"}
    )
    assert edited.status_code == 201 and edited.json()["version"] == "workspace:2"  # type: ignore[attr-defined]
    listed = world.get("/prompt-templates?category=review&history=true").json()
    assert [t["version"] for t in listed["items"]] == ["workspace:2", "workspace:1"]
    regenerated = world.post(f"/projects/{project_id}/prompts").json()
    assert regenerated["created"] is True and regenerated["template_versions"]["review"] == "workspace:2"
    review = next(p for p in regenerated["items"] if p["category"] == "review" and p["task_id"] == discount["id"])
    assert review["text"] == f"REVIEW v2 {discount['id']}\n" and review["template_version"] == "workspace:2"
    # Deleting a version falls back to the one before it.
    assert (
        world.client.delete(f"/api/v1/prompt-templates/{edited.json()['id']}", headers=world.owner.headers).status_code
        == 204
    )  # type: ignore[attr-defined]
    assert world.get("/prompt-templates?category=review").json()["items"][0]["version"] == "workspace:1"


def test_preview_and_broken_templates(world: World) -> None:
    sample = world.post("/prompt-templates/preview", {"category": "testing"})
    assert sample.status_code == 200 and sample.json()["sample"] is True
    assert sample.json()["text"].startswith("# T-001: tests for")
    project_id, _ = planned_project(world)
    world.post(f"/projects/{project_id}/plan")
    on_task = world.post(
        "/prompt-templates/preview",
        {
            "category": "implementation",
            "project_id": project_id,
            "task_id": "T-002",
            "text": "{{ task.id }}: {{ requirements[0].acceptance_criteria[0] }}",
        },
    )
    assert on_task.status_code == 200, on_task.text
    assert (
        on_task.json()["text"]
        == "T-002: Given a cart total of 50, when the shopper applies SAVE10, then the total is 45.\n"
    )

    before = row_counts(world.runtime)
    syntax = world.post("/prompt-templates", {"category": "review", "text": "ok\n{% if task.id %}\nnever closed"})
    assert syntax.status_code == 422
    assert syntax.json()["detail"]["error"] == "template_invalid" and syntax.json()["detail"]["line"] == 3
    undefined = world.post("/prompt-templates", {"category": "review", "text": "a\nb\n{{ task.owner }}"})
    assert undefined.status_code == 422 and undefined.json()["detail"]["line"] == 3
    assert "owner" in undefined.json()["detail"]["message"]
    unsafe = world.post("/prompt-templates/preview", {"category": "review", "text": "{{ task.__class__ }}"})
    assert unsafe.status_code == 422 and unsafe.json()["detail"]["line"] == 1
    assert row_counts(world.runtime) == before


def test_viewers_read_outsiders_see_nothing(world: World) -> None:
    project_id, _ = planned_project(world)
    world.post(f"/projects/{project_id}/plan")
    assert world.post(f"/projects/{project_id}/prompts").status_code == 201
    workspace_id = world.get(f"/projects/{project_id}").json()["workspace_id"]
    viewer = sign_up(world.client, "victor@example.com")
    add_member(world.client, world.owner, workspace_id, viewer, "viewer")
    outsider = sign_up(world.client, "mallory@example.com")
    assert world.get(f"/projects/{project_id}/prompts", viewer).json()["total"] > 0
    assert world.post(f"/projects/{project_id}/prompts", None, viewer).status_code == 403
    assert (
        world.post(
            "/prompt-templates", {"workspace_id": workspace_id, "category": "review", "text": "x"}, viewer
        ).status_code
        == 403
    )
    assert world.get(f"/projects/{project_id}/prompts", outsider).status_code == 404
    assert world.post(f"/projects/{project_id}/prompts", None, outsider).status_code == 404
    assert world.get(f"/prompt-templates?workspace_id={workspace_id}", outsider).status_code == 404
    template = world.post("/prompt-templates", {"workspace_id": workspace_id, "category": "review", "text": "x"}).json()
    assert world.get(f"/prompt-templates/{template['id']}", outsider).status_code == 404
    assert world.get(f"/prompt-templates/{template['id']}", viewer).status_code == 200


def test_execution_starts_only_once_every_task_has_its_prompts(world: World) -> None:
    project_id, _ = planned_project(world)
    world.post(f"/projects/{project_id}/plan")
    assert world.post(f"/projects/{project_id}/gateway", {"action": "generate_prompts"}).status_code == 200
    refused = world.post(f"/projects/{project_id}/gateway", {"action": "begin_execution"})
    assert refused.status_code == 409 and refused.json()["detail"]["guard"] == "prompts_generated"
    assert "POST /api/v1/projects/{id}/prompts" in refused.json()["detail"]["message"]
    generated = world.post(f"/projects/{project_id}/prompts").json()
    started = world.post(f"/projects/{project_id}/gateway", {"action": "begin_execution"})
    assert started.status_code == 200, started.text
    assert started.json()["to_state"] == "EXECUTING"
    assert started.json()["details"] == {"plan_version": 1, "prompts": generated["total"]}


def stored_sets(world: World, project_id: str) -> dict[str, int]:
    """Prompt rows per stored set (generation key) of the project."""
    import uuid

    from sqlalchemy import func, select

    from trellis.prompts.models import GeneratedPrompt

    with world.runtime.database.session_factory() as session:
        rows = session.execute(
            select(GeneratedPrompt.generation_key, func.count())
            .where(GeneratedPrompt.project_id == uuid.UUID(project_id))
            .group_by(GeneratedPrompt.generation_key)
        ).all()
    return {key: count for key, count in rows}


@pytest.fixture
def keeps_two(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path, prompt_sets_kept=2)


def test_regenerating_keeps_the_newest_prompt_sets_and_traceability_still_lists_the_prompts(keeps_two: World) -> None:
    world = keeps_two
    project_id, _ = planned_project(world)
    tasks = world.post(f"/projects/{project_id}/plan").json()["plan"]["tasks"]
    generated = []
    for budget in (4000, 3000, 2500, 2000):  # each budget is a new set
        response = world.post(f"/projects/{project_id}/prompts", {"token_budget": budget})
        assert response.status_code == 201, response.text
        generated.append(response.json())
    sets = stored_sets(world, project_id)
    assert sorted(sets) == sorted(g["generation_key"] for g in generated[2:])
    assert list(sets.values()) == [4 * len(tasks)] * 2

    # What a task's prompts are is still answered, from the newest set.
    newest = generated[-1]
    latest = world.get(f"/projects/{project_id}/prompts").json()
    assert latest["generation_key"] == newest["generation_key"] and latest["total"] == 4 * len(tasks)
    traced = world.get(f"/projects/{project_id}/traceability?task=T-001").json()
    expected = [(p["category"], p["token_count"]) for p in newest["items"] if p["task_id"] == "T-001"]
    assert [(p["category"], p["token_count"]) for p in traced["prompts"]] == expected
    assert [p["category"] for p in traced["prompts"]] == ["implementation", "testing", "review", "documentation"]

    # A pruned set asked for again is rendered again; still two sets.
    again = world.post(f"/projects/{project_id}/prompts", {"token_budget": 4000})
    assert again.status_code == 201 and again.json()["generation_key"] == generated[0]["generation_key"]
    assert sorted(stored_sets(world, project_id)) == sorted(
        [generated[3]["generation_key"], again.json()["generation_key"]]
    )
    audit = world.get(f"/projects/{project_id}/audit?limit=500").json()["items"]
    pruned = [r["metadata"]["pruned_sets"] for r in audit if r["action"] == "prompts.generated"]
    assert sorted(map(len, pruned)) == [0, 0, 1, 1, 1]
