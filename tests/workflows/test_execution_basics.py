from __future__ import annotations

from fastapi.testclient import TestClient

from tests.workflows.helpers import chain, create_workflow, node_runs, start, wait_status


def test_a_linear_workflow_runs_every_node_once_and_stores_outputs(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    graph = chain(
        {"id": "start", "type": "manual"},
        {"id": "double", "type": "transform", "config": {"output": {"n": "{{ input.n * 2 }}"}}},
        {"id": "label", "type": "transform", "config": {"output": "n is {{ input.n }} ({{ trigger.who }})"}},
    )
    workflow = create_workflow(client, alice, "Linear", graph)
    execution_id = start(client, alice, workflow["id"], {"n": 21, "who": "alice"})
    done = wait_status(client, alice, execution_id, "completed", "failed")
    assert done["status"] == "completed", done
    assert done["output"] == {"label": "n is 42 (alice)"}
    assert done["workflow_version"] == 1
    runs = node_runs(client, alice, execution_id)
    assert [(r["node_id"], r["status"], r["retry_count"]) for r in runs] == [
        ("start", "completed", 0),
        ("double", "completed", 0),
        ("label", "completed", 0),
    ]
    assert runs[1]["input_data"] == {"n": 21, "who": "alice"}
    assert runs[1]["output_data"] == {"n": 42}
