"""Projects, requirements with versions, the gateway (seed 000's state machine) and refinement rounds."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SignedInUser, row_counts, sign_up
from trellis.core.runtime import Runtime

CLEAN = [
    {
        "code": "REQ-1",
        "text": "When a user submits the login form, the system shall authenticate the user within 2 seconds.",
        "acceptance_criteria": [
            "Given a registered user, when they submit valid credentials, then they are signed in within 2 seconds."
        ],
        "priority": "must",
    },
    {
        "code": "REQ-2",
        "text": "When an administrator exports the audit log, the system shall produce a CSV file "
        "containing every audit record of the last 90 days.",
        "acceptance_criteria": [
            "Given 10 audit records, when the administrator exports the log, then the CSV file contains 10 rows."
        ],
        "dependencies": ["REQ-1"],
    },
]


@pytest.fixture
def owner(client: TestClient) -> SignedInUser:
    return sign_up(client, "pm@example.com")


def new_project(client: TestClient, user: SignedInUser, name: str = "Shop") -> str:
    response = client.post(
        "/api/v1/projects", json={"name": name, "description": "d", "metadata": {"team": "x"}}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_project_crud_in_the_personal_workspace(client: TestClient, owner: SignedInUser) -> None:
    created = client.post(
        "/api/v1/projects",
        json={
            "name": "E-commerce Platform",
            "repository_url": "https://github.com/user/repo.git",
            "metadata": {"priority": "high"},
        },
        headers=owner.headers,
    )
    assert created.status_code == 201
    project = created.json()
    assert project["status"] == "DRAFT" and project["workspace_id"] == owner.workspace_id
    assert project["metadata"] == {"priority": "high", "repository_url": "https://github.com/user/repo.git"}
    again = client.post("/api/v1/projects", json={"name": "E-commerce Platform"}, headers=owner.headers)
    assert again.status_code == 409 and again.json()["detail"]["error"] == "project_name_taken"
    renamed = client.patch(f"/api/v1/projects/{project['id']}", json={"name": "Other"}, headers=owner.headers)
    assert renamed.status_code == 422 and renamed.json()["detail"]["error"] == "name_immutable"
    described = client.patch(f"/api/v1/projects/{project['id']}", json={"description": "New"}, headers=owner.headers)
    assert described.json()["description"] == "New"
    assert client.get("/api/v1/projects", headers=owner.headers).json()["total"] == 1
    assert client.delete(f"/api/v1/projects/{project['id']}", headers=owner.headers).status_code == 204
    assert client.get(f"/api/v1/projects/{project['id']}", headers=owner.headers).status_code == 404


def test_bulk_upsert_is_idempotent_and_versions_every_change(client: TestClient, owner: SignedInUser) -> None:
    project_id = new_project(client, owner)
    first = client.post(
        f"/api/v1/projects/{project_id}/requirements/bulk", json={"requirements": CLEAN}, headers=owner.headers
    )
    assert first.json() == {"created": ["REQ-1", "REQ-2"], "updated": [], "unchanged": [], "total": 2}
    same = client.post(
        f"/api/v1/projects/{project_id}/requirements/bulk", json={"requirements": CLEAN}, headers=owner.headers
    )
    assert same.json() == {"created": [], "updated": [], "unchanged": ["REQ-1", "REQ-2"], "total": 2}
    changed = [{**CLEAN[0], "text": CLEAN[0]["text"].replace("2 seconds", "1 second")}, CLEAN[1]]
    updated = client.post(
        f"/api/v1/projects/{project_id}/requirements/bulk", json={"requirements": changed}, headers=owner.headers
    )
    assert updated.json()["updated"] == ["REQ-1"]
    history = client.get(f"/api/v1/projects/{project_id}/requirements/REQ-1/versions", headers=owner.headers).json()
    assert [v["version"] for v in history] == [1, 2] and history[1]["source"] == "bulk"
    assert any(line.startswith("+") and "1 second" in line for line in history[1]["diff"])
    listed = client.get(f"/api/v1/projects/{project_id}/requirements", headers=owner.headers).json()
    assert [(r["code"], r["version"]) for r in listed["items"]] == [("REQ-1", 2), ("REQ-2", 1)]
    assert listed["items"][1]["dependencies"] == ["REQ-1"]
    assert set(listed["scores"]) == {"testability", "ambiguity", "dependencies", "completeness", "passed"}


def test_invalid_requirements_get_seed_000_errors_and_save_nothing(client: TestClient, owner: SignedInUser) -> None:
    project_id = new_project(client, owner)
    batch = [
        {"code": "REQ-001", "text": "The system shall log in users.", "dependencies": ["REQ-999"]},
        {"code": "A", "text": "The system shall do A.", "dependencies": ["B"]},
        {"code": "B", "text": "The system shall do B.", "dependencies": ["A"]},
        {"code": "bad code!", "text": "x"},
    ]
    response = client.post(
        f"/api/v1/projects/{project_id}/requirements/bulk", json={"requirements": batch}, headers=owner.headers
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["message"] == "Validation failed for one or more requirements"
    errors = {e["code"]: e for e in detail["validation_errors"]}
    assert errors["REQ-001"] == {"index": 0, "code": "REQ-001", "errors": ["Dependencies not found: REQ-999"]}
    assert any(re.match(r"Circular dependency: (A -> B -> A|B -> A -> B)", m) for m in errors["A"]["errors"])
    assert errors["bad code!"]["index"] == 3
    listed = client.get(f"/api/v1/projects/{project_id}/requirements", headers=owner.headers).json()
    assert listed["total"] == 0


def test_markdown_import_and_export_round_trip(client: TestClient, owner: SignedInUser) -> None:
    project_id = new_project(client, owner)
    document = "# Shop\n\n- [REQ-10] The system shall list products.\n- [REQ-11] The system shall show prices.\n"
    imported = client.post(
        f"/api/v1/projects/{project_id}/requirements/import",
        json={"content": document, "filename": "reqs.md"},
        headers=owner.headers,
    )
    assert imported.status_code == 200 and imported.json()["created"] == ["REQ-10", "REQ-11"]
    exported = client.get(
        f"/api/v1/projects/{project_id}/requirements/export", params={"format": "json"}, headers=owner.headers
    )
    assert exported.headers["content-type"].startswith("application/json")
    assert "The system shall list products." in exported.text
    other = new_project(client, owner, "Copy")
    again = client.post(
        f"/api/v1/projects/{other}/requirements/import",
        json={"content": exported.text, "format": "json"},
        headers=owner.headers,
    )
    assert again.json()["created"] == ["REQ-10", "REQ-11"]
    broken = client.post(
        f"/api/v1/projects/{other}/requirements/import",
        json={"content": "{not json", "format": "json"},
        headers=owner.headers,
    )
    assert broken.status_code == 422 and broken.json()["detail"]["error"] == "unreadable_requirements"


def test_an_import_is_held_to_the_bulk_limits_and_saves_nothing_when_over(
    client: TestClient, owner: SignedInUser
) -> None:
    project_id = new_project(client, owner)
    document = (
        f"## REQ-1: {'Very long title ' * 25}\nThe system shall list products.\n\n"
        "## REQ-2: Prices\nThe system shall show prices.\n- Priority: " + "urgent" * 10 + "\n"
    )
    refused = client.post(
        f"/api/v1/projects/{project_id}/requirements/import",
        json={"content": document, "filename": "reqs.md"},
        headers=owner.headers,
    )
    assert refused.status_code == 422
    errors = {e["code"]: e["errors"] for e in refused.json()["detail"]["validation_errors"]}
    assert errors == {
        "REQ-1": ["Title is longer than 300 characters"],
        "REQ-2": ["Priority is longer than 30 characters"],
    }
    listed = client.get(f"/api/v1/projects/{project_id}/requirements", headers=owner.headers).json()
    assert listed["total"] == 0


def test_gateway_follows_seed_000_and_audits_every_step(client: TestClient, owner: SignedInUser) -> None:
    project_id = new_project(client, owner)
    seed_body = {
        "action": "finalizar",
        "correlation_id": "123e4567-e89b-12d3-a456-426614174000",
        "request_id": "987fcdeb-51a2-43d7-b123-456789abcdef",
    }
    early = client.post(f"/api/v1/requirements/{project_id}/gateway", json=seed_body, headers=owner.headers)
    assert early.status_code == 409
    assert early.json()["detail"]["error"] == "invalid_transition"
    assert early.json()["detail"]["allowed_actions"] == ["initialize_requirements", "block"]
    empty = client.post(
        f"/api/v1/projects/{project_id}/gateway", json={"action": "initialize_requirements"}, headers=owner.headers
    )
    assert empty.status_code == 409 and empty.json()["detail"]["error"] == "transition_guard_failed"
    client.post(f"/api/v1/projects/{project_id}/requirements/bulk", json={"requirements": CLEAN}, headers=owner.headers)
    started = client.post(
        f"/api/v1/projects/{project_id}/gateway",
        json={"action": "iniciar", "correlation_id": "corr-1"},
        headers=owner.headers,
    )
    assert started.status_code == 200
    assert (started.json()["from_state"], started.json()["to_state"]) == ("DRAFT", "REQS_REFINING")
    finalized = client.post(
        f"/api/v1/requirements/{project_id}/gateway",
        json={**seed_body, "request_id": "final-1", "force": True},
        headers=owner.headers,
    )
    assert finalized.status_code == 200, finalized.text
    assert finalized.json()["to_state"] == "REQS_READY" and "request_validation" in finalized.json()["allowed_actions"]
    replay = client.post(
        f"/api/v1/requirements/{project_id}/gateway",
        json={**seed_body, "request_id": "final-1", "force": True},
        headers=owner.headers,
    )
    assert replay.json() == finalized.json() and replay.headers["idempotent-replayed"] == "true"
    validation = client.post(
        f"/api/v1/projects/{project_id}/gateway", json={"action": "request_validation"}, headers=owner.headers
    )
    assert validation.status_code == 409
    assert "No repository is connected" in validation.json()["detail"]["message"]
    audit = client.get(f"/api/v1/projects/{project_id}/audit", headers=owner.headers).json()["items"]
    steps = [(r["action"], r["from_state"], r["to_state"]) for r in reversed(audit) if r["from_state"] or r["to_state"]]
    assert steps == [
        ("project.created", None, "DRAFT"),
        ("project.initialize_requirements", "DRAFT", "REQS_REFINING"),
        ("project.finalize_requirements", "REQS_REFINING", "REQS_READY"),
    ]
    finalize_record = next(r for r in audit if r["action"] == "project.finalize_requirements")
    assert finalize_record["correlation_id"] == "123e4567-e89b-12d3-a456-426614174000"
    assert finalize_record["request_id"] == "final-1"
    status = client.get(f"/api/v1/projects/{project_id}/status", headers=owner.headers).json()
    assert status["status"] == "REQS_READY" and status["requirements"] == 2


def test_refinement_rounds_turn_answers_into_versions(client: TestClient, owner: SignedInUser) -> None:
    project_id = new_project(client, owner)
    smelly = [
        {"code": "REQ-1", "text": "The search page shall load fast and the results shall be TBD."},
        {"code": "REQ-2", "text": "The system should be user-friendly where possible."},
    ]
    client.post(
        f"/api/v1/projects/{project_id}/requirements/bulk", json={"requirements": smelly}, headers=owner.headers
    )
    first = client.post(f"/api/v1/projects/{project_id}/refine", json={}, headers=owner.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["project_status"] == "REQS_REFINING" and body["session"]["round"] == 1
    questions = body["questions"]
    assert 1 <= len(questions) <= 5
    scores = [q["impact"] * q["uncertainty"] for q in questions]
    assert scores == sorted(scores, reverse=True)
    findings_before = body["findings"]
    placeholder = next((q for q in questions if q["category"] == "placeholder"), None)
    answers = []
    for question in questions:
        if question is placeholder:
            answers.append({"question_id": question["id"], "answer": "sorted by relevance"})
        elif question["recommended_option"]:
            answers.append({"question_id": question["id"], "option_id": question["recommended_option"]})
        elif question["allows_free_answer"]:
            answers.append({"question_id": question["id"], "answer": "The system shall return results in 1 s."})
        else:
            answers.append({"question_id": question["id"], "option_id": "keep"})
    second = client.post(f"/api/v1/projects/{project_id}/refine", json={"answers": answers}, headers=owner.headers)
    assert second.status_code == 200, second.text
    assert second.json()["findings"] < findings_before
    assert any(a["versions"] for a in second.json()["applied"])
    if placeholder is not None:
        history = client.get(
            f"/api/v1/projects/{project_id}/requirements/{placeholder['requirement_code']}/versions",
            headers=owner.headers,
        ).json()
        assert history[-1]["source"] == "refinement"
        assert "sorted by relevance" in history[-1]["data"]["text"] and "TBD" not in history[-1]["data"]["text"]
    sessions = client.get(f"/api/v1/projects/{project_id}/qa-sessions", headers=owner.headers).json()
    assert sessions["total"] == 1
    answered = [q for q in sessions["items"][0]["questions"] if q["status"] == "answered"]
    assert answered and all(q["answer"] for q in answered)
    again = client.post(f"/api/v1/projects/{project_id}/refine", json={"answers": answers[:1]}, headers=owner.headers)
    assert again.status_code in (404, 409)  # that question is closed (or its round is over)


def test_round_cap_forces_completion_and_lets_the_gateway_finalize(client: TestClient, owner: SignedInUser) -> None:
    project_id = new_project(client, owner)
    client.post(
        f"/api/v1/projects/{project_id}/requirements/bulk",
        json={"requirements": [{"code": "R1", "text": "The UI should be nice and fast, TBD."}]},
        headers=owner.headers,
    )
    body = client.post(f"/api/v1/projects/{project_id}/refine", json={"max_rounds": 1}, headers=owner.headers).json()
    keep_all = [{"question_id": q["id"], "option_id": "keep"} for q in body["questions"]]
    done = client.post(
        f"/api/v1/projects/{project_id}/refine", json={"answers": keep_all, "max_rounds": 1}, headers=owner.headers
    ).json()
    assert done["session"]["status"] in ("forced", "completed") and done["questions"] == []
    assert done["session"]["remaining_findings"]
    final = client.post(
        f"/api/v1/requirements/{project_id}/gateway", json={"action": "finalizar"}, headers=owner.headers
    )
    assert final.status_code == 200 and final.json()["to_state"] == "REQS_READY"


def test_outsiders_get_404_on_every_project_route(client: TestClient, runtime: Runtime, owner: SignedInUser) -> None:
    project_id = new_project(client, owner)
    client.post(f"/api/v1/projects/{project_id}/requirements/bulk", json={"requirements": CLEAN}, headers=owner.headers)
    outsider = sign_up(client, "nosy@example.com")
    viewer = sign_up(client, "watcher@example.com")
    from tests.conftest import add_member

    add_member(client, owner, owner.workspace_id, viewer, "viewer")
    schema = client.get("/openapi.json").json()
    routes = [(m.upper(), p) for p, ops in schema["paths"].items() if "{project_id}" in p for m in ops]
    assert len(routes) >= 12
    before = row_counts(runtime)
    for method, path in routes:
        url = path.replace("{project_id}", project_id).replace("{code}", "REQ-1")
        response = client.request(
            method, url, json={"action": "block", "requirements": CLEAN, "content": "x"}, headers=outsider.headers
        )
        assert response.status_code == 404, (method, path, response.text)
        if method != "GET":
            refused = client.request(
                method, url, json={"action": "block", "requirements": CLEAN, "content": "- x"}, headers=viewer.headers
            )
            assert refused.status_code == 403, (method, path, refused.text)
    assert row_counts(runtime) == before
    assert uuid.UUID(project_id)
