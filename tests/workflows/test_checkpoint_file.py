"""Embedded checkpoints live in their own SQLite file; ones left in the database by an older version move over."""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient

from tests.conftest import make_settings, sign_up
from tests.workflows.helpers import chain, create_workflow, start, wait_status
from trellis.main import create_app


def _approval_graph() -> dict[str, object]:
    return chain(
        {"id": "start", "type": "manual"},
        {"id": "ok", "type": "approval", "config": {"message": "Ship it?"}},
        {"id": "done", "type": "transform", "config": {"output": "shipped {{ trigger.item }}"}},
    )


def test_a_waiting_run_resumes_after_its_checkpoints_are_moved_out_of_the_database_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    settings = make_settings(data)
    with TestClient(create_app(settings)) as client:
        alice = sign_up(client, "alice@example.com")
        workflow = create_workflow(client, alice, "Ship", _approval_graph())
        execution_id = start(client, alice, workflow["id"], {"item": "v2"})
        wait_status(client, alice, execution_id, "waiting")
    database, checkpoints = data / "trellis.db", data / "trellis.checkpoints.db"
    assert checkpoints.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(checkpoints) as connection:
        saved = connection.execute("SELECT count(*) FROM checkpoints WHERE thread_id = ?", (execution_id,)).fetchone()[
            0
        ]
    assert saved > 0
    with sqlite3.connect(database) as connection:
        assert {"checkpoints", "writes"}.isdisjoint(
            row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )

    # Put the database back the way an older Trellis left it: checkpoints inside trellis.db, no separate file.
    with sqlite3.connect(database) as connection:
        connection.execute("ATTACH DATABASE ? AS separate", (str(checkpoints),))
        connection.execute("CREATE TABLE main.checkpoints AS SELECT * FROM separate.checkpoints")
        connection.execute("CREATE TABLE main.writes AS SELECT * FROM separate.writes")
        connection.commit()
        connection.execute("DETACH DATABASE separate")
    for leftover in data.glob("trellis.checkpoints.db*"):
        leftover.unlink()

    with TestClient(create_app(settings)) as client:
        response = client.post(
            f"/api/v1/executions/{execution_id}/approve", json={"node_id": "ok", "comment": "go"}, headers=alice.headers
        )
        assert response.status_code == 202, response.text
        done = wait_status(client, alice, execution_id, "completed")
        assert done["output"] == {"done": "shipped v2"}
    with sqlite3.connect(database) as connection:
        assert {"checkpoints", "writes"}.isdisjoint(
            row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
