"""Workflows over HTTP: graph validation (422 naming each bad node), versions, diff, restore, import/export,
status, duplicate, node types, permissions."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import add_member, row_counts
from tests.workflows.helpers import chain, check_workflow_listing, create_workflow

LINEAR = chain(
    {"id": "start", "type": "manual"},
    {"id": "greet", "type": "transform", "config": {"output": "hi {{ input.name }}"}},
)


def test_invalid_graphs_are_rejected_naming_each_bad_node_and_nothing_is_saved(
    client: TestClient, runtime, signed_in
) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    before = row_counts(runtime)
    graph = {
        "nodes": [
            {"id": "start", "type": "manual"},
            {"id": "a", "type": "transform", "config": {"output": "{{ input"}},
            {"id": "b", "type": "transform", "config": {}},
            {"id": "c", "type": "teleport"},
            {"id": "check", "type": "condition", "config": {"expression": "input.ok"}},
        ],
        "connections": [{"source": "start", "target": "check"}, {"source": "check", "target": "a"}],
    }
    response = client.post("/api/v1/workflows", json={"name": "Bad", **graph}, headers=alice.headers)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["error"] == "invalid_workflow"
    problems = {(p["node_id"], p["message"].split(":")[0]) for p in detail["problems"]}
    assert ("a", "template '{{ input'") in problems
    assert any(node == "b" and "config.output" in message for node, message in problems)
    assert any(node == "c" and "unknown node type" in message for node, message in problems)
    assert any(
        node == "check" and "must name a branch" in p["message"] for p in detail["problems"] for node in [p["node_id"]]
    )
    assert row_counts(runtime) == before

    cycle = {
        "nodes": [
            {"id": "start", "type": "manual"},
            {"id": "x", "type": "transform", "config": {"output": 1}},
            {"id": "y", "type": "transform", "config": {"output": 2}},
            {"id": "orphan", "type": "transform", "config": {"output": 3}},
        ],
        "connections": [
            {"source": "start", "target": "x"},
            {"source": "x", "target": "y"},
            {"source": "y", "target": "x"},
        ],
    }
    response = client.post("/api/v1/workflows", json={"name": "Cycle", **cycle}, headers=alice.headers)
    assert response.status_code == 422
    problems = response.json()["detail"]["problems"]
    assert {"node_id": "orphan", "field": None, "message": "is not reachable from any trigger"} in problems
    assert any(p["node_id"] in ("x", "y") and "cycle without a loop node" in p["message"] for p in problems), problems

    no_trigger = chain({"id": "x", "type": "transform", "config": {"output": 1}})
    response = client.post("/api/v1/workflows", json={"name": "None", **no_trigger}, headers=alice.headers)
    assert response.status_code == 422
    assert "trigger" in response.json()["detail"]["problems"][0]["message"]


def test_versions_diff_restore_duplicate_export_import_and_status(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    workflow = create_workflow(client, alice, "Greeter", LINEAR, tags=["demo"])
    assert (workflow["status"], workflow["version"]) == ("draft", 1)
    url = f"/api/v1/workflows/{workflow['id']}"

    changed = {
        **LINEAR,
        "nodes": [
            LINEAR["nodes"][0],
            {**LINEAR["nodes"][1], "config": {"output": "hello {{ input.name }}"}},
            {"id": "done", "type": "transform", "config": {"output": "{{ input }}!"}},
        ],
        "connections": [*LINEAR["connections"], {"source": "greet", "target": "done"}],
    }
    updated = client.put(
        url, json={"name": "Greeter", **changed, "tags": ["demo"], "change_note": "louder"}, headers=alice.headers
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    same = client.put(url, json={"name": "Greeter", **changed, "tags": ["demo"]}, headers=alice.headers)
    assert same.json()["version"] == 2  # nothing changed, no new version

    versions = client.get(f"{url}/versions", headers=alice.headers).json()
    assert [(v["version"], v["change_note"]) for v in versions["items"]] == [(2, "louder"), (1, "created")]
    diff = client.get(f"{url}/diff?from=1&to=2", headers=alice.headers).json()
    assert [n["id"] for n in diff["nodes_added"]] == ["done"]
    assert diff["nodes_changed"][0]["id"] == "greet"
    assert diff["nodes_changed"][0]["after"]["config"] == {"output": "hello {{ input.name }}"}
    assert diff["connections_added"] == [{"source": "greet", "target": "done", "source_handle": None}]

    restored = client.post(f"{url}/versions/1/restore", headers=alice.headers).json()
    assert restored["version"] == 3
    assert [n["id"] for n in restored["nodes"]] == ["start", "greet"]
    assert client.get(f"{url}/versions/3", headers=alice.headers).json()["change_note"] == "restored version 1"

    exported = client.get(f"{url}/export", headers=alice.headers).json()
    assert exported["format"] == "trellis.workflow/v1"
    imported = client.post("/api/v1/workflows/import", json={**exported, "name": "Imported"}, headers=alice.headers)
    assert imported.status_code == 201
    assert imported.json()["nodes"] == restored["nodes"]

    copy = client.post(f"{url}/duplicate", headers=alice.headers).json()
    assert (copy["name"], copy["parent_workflow_id"]) == ("Copy of Greeter", workflow["id"])

    published = client.patch(f"{url}/status", json={"status": "published"}, headers=alice.headers)
    assert published.json()["status"] == "published"
    listed = client.get("/api/v1/workflows?status=published&tag=demo", headers=alice.headers).json()
    assert [w["id"] for w in listed["items"]] == [workflow["id"]]
    assert listed["total"] == 1
    archived = client.patch(f"{url}/status", json={"status": "archived"}, headers=alice.headers)
    assert archived.status_code == 200
    run = client.post("/api/v1/executions", json={"workflow_id": workflow["id"]}, headers=alice.headers)
    assert run.status_code == 409
    assert run.json()["detail"]["error"] == "workflow_not_runnable"


def test_list_filters_by_tag_and_literal_search_and_pages_in_the_database(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    check_workflow_listing(client, signed_in("alice@example.com"))


def test_node_types_expose_their_config_schemas(client: TestClient) -> None:
    types = {t["type"]: t for t in client.get("/api/v1/node-types").json()}
    assert {
        "manual",
        "webhook",
        "cron",
        "agent",
        "http_request",
        "transform",
        "condition",
        "switch",
        "loop",
        "merge",
        "wait",
        "approval",
        "subworkflow",
        "mcp_tool",
    } <= set(types)
    assert types["condition"]["handles"] == ["true", "false"]
    assert "cron" in types["cron"]["config_schema"]["properties"]
    assert types["http_request"]["side_effects"] is True


def test_viewers_read_but_cannot_change_or_run_and_outsiders_get_404(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    owner = signed_in("owner@example.com")
    viewer = signed_in("viewer@example.com")
    outsider = signed_in("outsider@example.com")
    add_member(client, owner, owner.workspace_id, viewer, "viewer")
    workflow = create_workflow(client, owner, "Shared", LINEAR)
    url = f"/api/v1/workflows/{workflow['id']}"
    assert client.get(url, headers=viewer.headers).status_code == 200
    assert client.put(url, json={"name": "x", **LINEAR}, headers=viewer.headers).status_code == 403
    assert (
        client.post("/api/v1/executions", json={"workflow_id": workflow["id"]}, headers=viewer.headers).status_code
        == 403
    )
    assert client.delete(url, headers=viewer.headers).status_code == 403
    for response in (
        client.get(url, headers=outsider.headers),
        client.get(f"{url}/versions", headers=outsider.headers),
        client.delete(url, headers=outsider.headers),
    ):
        assert response.status_code == 404
    assert client.get("/api/v1/workflows", headers=outsider.headers).json()["total"] == 0
