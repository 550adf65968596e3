"""Issue 4's checks on the real distributed setup: PostgreSQL + Redis + `trellis worker` / `trellis serve` processes.

- a worker SIGKILLed in the middle of a 40-node run: the run completes on another worker and no node
  that had completed (nor its side effect on an outside HTTP server) runs twice;
- two API processes and two workers: a cron workflow fires exactly once per slot;
- a user outside the workspace sees none of it (HTTP and WebSocket);
- a WebSocket on the API process follows a run that a worker in another process executes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from starlette.websockets import WebSocketDisconnect

from tests.conftest import SignedInUser, sign_up, wait_for
from tests.integration.conftest import WorkerProcess, settings_environment
from tests.test_serve import free_port
from tests.workflows.helpers import chain, create_workflow, http_target, node_runs, start, wait_status
from trellis.core.config import Settings
from trellis.core.db import create_database, utcnow
from trellis.core.jobs import Job
from trellis.core.runtime import Runtime, build_runtime
from trellis.executions import service as executions_service
from trellis.executions.models import WorkflowExecution
from trellis.main import create_app
from trellis.workflows.models import WorkflowSchedule

StartWorker = Callable[..., WorkerProcess]

SCHEDULER_ENV = {"TRELLIS_WORKFLOW_SCHEDULER_INTERVAL_SECONDS": "0.2"}


@pytest.fixture
def checkpoint_schema(distributed_settings: Settings) -> None:
    """LangGraph's checkpoint tables, created from here before any Trellis process starts.

    Works around the hang that `test_the_first_processes_on_a_fresh_database_set_up_checkpoints`
    shows (engine/checkpoints.py); harmless once that is fixed, as the saver's setup is idempotent.
    """
    from langgraph.checkpoint.postgres import PostgresSaver

    assert distributed_settings.database_url is not None
    conninfo = make_url(distributed_settings.database_url).set(drivername="postgresql")
    with PostgresSaver.from_conn_string(conninfo.render_as_string(hide_password=False)) as saver:
        saver.setup()


@pytest.fixture
def api(distributed_settings: Settings, checkpoint_schema: None) -> Iterator[TestClient]:
    """An API in this process in distributed mode: it enqueues and reads; only worker processes run jobs."""
    with TestClient(create_app(distributed_settings)) as client:
        yield client


@pytest.fixture
def database(distributed_settings: Settings) -> Iterator[Any]:
    """Direct access to the shared PostgreSQL database, for what the API does not show (job rows, trigger keys)."""
    db = create_database(distributed_settings)
    yield db
    db.dispose()


class Processes:
    """`trellis serve` / `trellis worker` processes started without waiting, so several boot in parallel."""

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.started: list[WorkerProcess] = []

    def spawn(self, label: str, *arguments: str, **extra_env: str) -> WorkerProcess:
        log_path = self.workdir / f"{label}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-c", "from trellis.cli import main; main()", *arguments],
                cwd=self.workdir,
                env=settings_environment(self.settings, **extra_env),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = WorkerProcess(process, log_path)
        self.started.append(started)
        return started

    def server(self, label: str, **extra_env: str) -> tuple[WorkerProcess, str]:
        port = free_port()
        return self.spawn(label, "serve", "--port", str(port), **extra_env), f"http://127.0.0.1:{port}"

    def worker(self, label: str, **extra_env: str) -> WorkerProcess:
        return self.spawn(label, "worker", **extra_env)

    def close(self) -> None:
        # The test is over: nothing to finish gracefully, and a warm Celery shutdown costs seconds.
        for started in self.started:
            if started.process.poll() is None:
                started.kill()


@pytest.fixture
def processes(distributed_settings: Settings, checkpoint_schema: None, tmp_path: Path) -> Iterator[Processes]:
    running = Processes(distributed_settings, tmp_path)
    yield running
    running.close()


def wait_worker_ready(worker: WorkerProcess, label: str) -> None:
    wait_for(
        lambda: " ready." in worker.log() or worker.process.poll() is not None,
        timeout=60,
        interval=0.1,
        what=f"{label} to be ready",
    )
    assert worker.process.poll() is None, f"{label} exited early:\n{worker.log()}"


def wait_server_ready(server: WorkerProcess, base_url: str, label: str) -> None:
    def ready() -> bool:
        assert server.process.poll() is None, f"{label} exited early:\n{server.log()}"
        try:
            return httpx.get(f"{base_url}/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(ready, timeout=60, interval=0.2, what=f"{label} to be ready")


# ---------------------------------------------------------------- 0. checkpoint tables on a fresh database

OPEN_CHECKPOINTER = """
import sys
import langgraph.checkpoint.postgres, psycopg_pool  # imported up front: only the opening itself is timed
from trellis.core.config import Settings
from trellis.core.runtime import build_runtime
from trellis.engine.checkpoints import checkpointer_for

runtime = build_runtime(Settings())
print("runtime built", flush=True)
sys.stdin.readline()  # the start line: every process opens the checkpointer at the same moment
checkpointer_for(runtime)
print("checkpointer ready", flush=True)
"""


def test_the_first_processes_on_a_fresh_database_set_up_checkpoints(
    distributed_settings: Settings, tmp_path: Path
) -> None:
    """Two processes (say, workers starting together) open the checkpointer on a database that has no
    checkpoint tables yet; both must have it within seconds (creating a few empty tables)."""
    logs = [tmp_path / f"opener-{n}.log" for n in range(2)]
    openers = []
    for log_path in logs:
        with log_path.open("wb") as log_file:
            openers.append(
                subprocess.Popen(
                    [sys.executable, "-c", OPEN_CHECKPOINTER],
                    env=settings_environment(distributed_settings),
                    stdin=subprocess.PIPE,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def all_say(text: str) -> bool:
        for opener, log_path in zip(openers, logs, strict=True):
            assert opener.poll() is None or text in log_path.read_text(), log_path.read_text()
        return all(text in log_path.read_text() for log_path in logs)

    try:
        wait_for(lambda: all_say("runtime built"), timeout=120, interval=0.1, what="the processes to start")
        for opener in openers:
            assert opener.stdin is not None
            opener.stdin.write(b"go\n")
            opener.stdin.flush()
        wait_for(lambda: all_say("checkpointer ready"), timeout=15, interval=0.1, what="the checkpointer to open")
    finally:
        for opener in openers:
            if opener.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(opener.pid, signal.SIGKILL)
            opener.wait(timeout=10)


# ---------------------------------------------------------------- 1. SIGKILL mid-run


def forty_node_graph(log_url: str) -> dict[str, Any]:
    """A manual trigger and 39 work nodes in a line: transforms, short inline waits, and HTTP calls to a log server.

    Each transform outputs how many node outputs the run holds when it runs: after a crash the
    resumed run must still hold the outputs of the nodes completed before it.
    """
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "manual"}]
    for index in range(1, 40):
        node_id = f"n{index:02d}"
        if index % 5 == 0:
            node = {
                "id": node_id,
                "type": "http_request",
                "config": {
                    "method": "POST",
                    "url": log_url,
                    "body": {"node": node_id, "execution": "{{ execution.id }}"},
                },
                # A crash is not a node failure; a quick retry keeps any real failure short too.
                "retry": {"max_retries": 2, "delays_seconds": [0.2]},
            }
        elif index % 3 == 0 and index < 39:  # the last node is a transform, so the run's output names it
            node = {"id": node_id, "type": "wait", "config": {"seconds": 0.15}}
        else:
            node = {
                "id": node_id,
                "type": "transform",
                "config": {"output": {"node": node_id, "seen": "{{ nodes | length }}"}},
            }
        nodes.append(node)
    return chain(*nodes)


def test_a_worker_sigkilled_mid_run_leaves_the_run_to_another_that_runs_no_completed_node_again(
    api: TestClient, processes: Processes, database: Any
) -> None:
    first = processes.worker("first")  # boots while the workflow is set up
    alice = sign_up(api, "alice@example.com")
    with http_target() as log_server:
        workflow = create_workflow(api, alice, "Forty nodes", forty_node_graph(log_server.url))
        http_nodes = [n["id"] for n in workflow["nodes"] if n["type"] == "http_request"]
        wait_worker_ready(first, "first worker")
        execution_id = start(api, alice, workflow["id"], {"batch": 7})
        # A second worker boots meanwhile. It gets nothing while the first holds the run's lease and heartbeats.
        second = processes.worker("second")

        def enough_done() -> list[dict[str, Any]] | None:
            runs = node_runs(api, alice, execution_id)
            return runs if sum(r["status"] == "completed" for r in runs) >= 12 else None

        wait_for(enough_done, timeout=60, interval=0.03, what="12 nodes to complete on the first worker")
        first.kill()  # SIGKILL, the whole process group: no shutdown, the lease just stops being renewed

        # What completed before the kill is now frozen: nothing of the first worker is left to change it.
        before_kill = node_runs(api, alice, execution_id)
        completed_before = {r["node_id"]: r for r in before_kill if r["status"] == "completed"}
        in_flight = [r for r in before_kill if r["status"] != "completed"]
        received_before = Counter(request["body"]["node"] for request in log_server.received)
        assert 12 <= len(completed_before) < 40, f"the kill did not land mid-run: {len(completed_before)} completed"
        assert api.get(f"/api/v1/executions/{execution_id}", headers=alice.headers).json()["status"] == "running"
        assert [r["status"] for r in in_flight] in ([], ["running"]), in_flight
        with database.session_factory() as session:
            job = session.scalar(select(Job).where(Job.idempotency_key == f"execution:{execution_id}:start"))
            assert job is not None and job.status == "running" and f":{first.pid}:" in (job.lease_owner or "")

        wait_worker_ready(second, "second worker")
        done = wait_status(api, alice, execution_id, "completed", "failed", timeout=90)
        assert done["status"] == "completed", done
        assert done["output"] == {"n39": {"node": "n39", "seen": 39}}

    runs = node_runs(api, alice, execution_id)
    expected_ids = ["start"] + [f"n{index:02d}" for index in range(1, 40)]
    # Exactly one node run per node, each completed once, in graph order.
    assert [r["node_id"] for r in runs] == expected_ids
    assert all(r["status"] == "completed" and r["run"] == 1 for r in runs), [
        (r["node_id"], r["status"]) for r in runs if r["status"] != "completed"
    ]
    by_node = {r["node_id"]: r for r in runs}
    # Nodes completed before the kill were not run again: same row, same timings, same attempt count.
    for node_id, earlier in completed_before.items():
        later = by_node[node_id]
        assert (later["id"], later["start_time"], later["end_time"], later["retry_count"], later["output_data"]) == (
            earlier["id"],
            earlier["start_time"],
            earlier["end_time"],
            earlier["retry_count"],
            earlier["output_data"],
        ), node_id
    # The node the worker died in is the only one that may have run twice, as a second attempt of the same row.
    rerun = {r["node_id"]: r["retry_count"] for r in runs if r["retry_count"] > 0}
    assert set(rerun) <= {r["node_id"] for r in in_flight}, rerun
    for row in in_flight:
        assert by_node[row["node_id"]]["id"] == row["id"]
        assert by_node[row["node_id"]]["retry_count"] == row["retry_count"] + 1
    # The resumed run kept every earlier output: each transform saw one output per node before it.
    for index in range(1, 40):
        node = by_node[f"n{index:02d}"]
        if node["node_type"] == "transform":
            assert node["output_data"] == {"node": f"n{index:02d}", "seen": index}

    # Real side effects: each HTTP node that completed before the kill was received exactly once, and never
    # again after; every other HTTP node at least once, and twice only if the worker died inside it.
    received = Counter(request["body"]["node"] for request in log_server.received)
    assert set(received) == set(http_nodes)
    assert {request["body"]["execution"] for request in log_server.received} == {execution_id}
    for node_id in http_nodes:
        if node_id in completed_before:
            assert received_before[node_id] == received[node_id] == 1, node_id
        elif node_id not in {r["node_id"] for r in in_flight}:
            assert received[node_id] == 1, node_id
    for node_id in [n for n, count in received.items() if count > 1]:
        requests = [r for r in log_server.received if r["body"]["node"] == node_id]
        # A repeat after a crash carries the same idempotency key, so the receiver can drop it.
        assert len({r["headers"]["Idempotency-Key"] for r in requests}) == 1
        assert [r["headers"]["X-Trellis-Attempt"] for r in requests] == ["1", "2"]

    # Recovered through the job system: the lease lapsed and the run job's second attempt finished it.
    with database.session_factory() as session:
        job = session.scalar(select(Job).where(Job.idempotency_key == f"execution:{execution_id}:start"))
    assert job is not None and job.status == "completed" and job.attempts == 2
    assert "job_lease_expired" in second.log()
    assert finished_in(second, execution_id) and not finished_in(first, execution_id)


# ---------------------------------------------------------------- 2. cron exactly once per slot


@pytest.fixture
def scheduler_runtime(distributed_settings: Settings) -> Iterator[Runtime]:
    """A runtime in this process, so the test's own scheduler threads can start executions (enqueue)."""
    runtime = build_runtime(distributed_settings)
    yield runtime
    runtime.close()


def test_two_api_processes_and_two_workers_fire_a_cron_workflow_exactly_once_per_slot(
    processes: Processes, scheduler_runtime: Runtime, database: Any
) -> None:
    server_a, url_a = processes.server("api-a", **SCHEDULER_ENV)
    server_b, url_b = processes.server("api-b", **SCHEDULER_ENV)
    workers = [processes.worker(f"worker-{n}", **SCHEDULER_ENV) for n in (1, 2)]
    wait_server_ready(server_a, url_a, "api-a")
    wait_server_ready(server_b, url_b, "api-b")
    for n, worker in enumerate(workers, 1):
        wait_worker_ready(worker, f"worker-{n}")

    with httpx.Client(base_url=url_a, timeout=10) as a, httpx.Client(base_url=url_b, timeout=10) as b:
        alice = sign_up(a, "alice@example.com")  # type: ignore[arg-type]
        graph = chain(
            {"id": "tick", "type": "cron", "config": {"cron": "* * * * *"}},
            {"id": "stamp", "type": "transform", "config": {"output": "slot {{ trigger.scheduled_for }}"}},
        )
        workflow = create_workflow(a, alice, "Every minute", graph)  # type: ignore[arg-type]
        published = b.patch(
            f"/api/v1/workflows/{workflow['id']}/status", json={"status": "published"}, headers=alice.headers
        )
        assert published.status_code == 200, published.text
        workflow_id = uuid.UUID(workflow["id"])

        with database.session_factory() as session:
            schedule = session.scalar(select(WorkflowSchedule).where(WorkflowSchedule.workflow_id == workflow_id))
            assert schedule is not None and schedule.node_id == "tick" and schedule.next_fire_at > utcnow()
            schedule_id = schedule.id

        minute = utcnow().replace(second=0, microsecond=0)
        slots = [minute - timedelta(minutes=n) for n in (3, 2, 1)]
        for slot in slots:
            # Make the slot due now; all scheduler loops (every 0.2 s in each process) race for it.
            set_next_fire_at(database, schedule_id, slot)
            wait_for(
                lambda slot=slot: fired(database, workflow_id, slot), timeout=30, interval=0.05, what=f"slot {slot}"
            )

        # A fourth slot raced harder: eight more schedulers, released at once, next to the two workers.
        extra_slot = minute - timedelta(minutes=4)
        racers = race_schedulers(database, schedule_id, extra_slot, count=8)
        wait_for(lambda: fired(database, workflow_id, extra_slot), timeout=30, interval=0.05, what="the raced slot")
        assert sum(len(started) for started in racers) <= 1, racers
        slots.append(extra_slot)

        # Give a late duplicate every chance to appear (each scheduler polls five times a second).
        wait_for(
            lambda: all_finished(b, alice, workflow["id"]), timeout=60, interval=0.2, what="every execution to finish"
        )

        with database.session_factory() as session:
            executions = session.scalars(
                select(WorkflowExecution).where(WorkflowExecution.workflow_id == workflow_id)
            ).all()
        keys = Counter(e.trigger_key for e in executions)
        assert all(count == 1 for count in keys.values()), keys
        forced = {f"cron:tick:{slot.isoformat()}" for slot in slots}
        assert forced <= set(keys), (forced, keys)
        # Any other execution is a real minute slot that came round during the test, also once.
        assert all(key is not None and key.startswith("cron:tick:") for key in keys), keys

        listed = b.get("/api/v1/executions", params={"workflow_id": workflow["id"]}, headers=alice.headers).json()
        assert listed["total"] == len(executions)
        by_slot = {item["trigger_data"]["scheduled_for"]: item for item in listed["items"]}
        for slot in slots:
            item = by_slot[slot.isoformat()]
            assert item["trigger_type"] == "cron" and item["status"] == "completed", item
            assert item["output"] == {"stamp": f"slot {slot.isoformat()}"}
        assert all(item["status"] == "completed" for item in listed["items"])
    # Each execution was started by exactly one scheduler: a worker (it logs it) or one of the test's threads.
    started_by_workers = sum(worker.log().count('"cron_execution_started"') for worker in workers)
    assert started_by_workers + sum(len(started) for started in racers) == len(executions)


def set_next_fire_at(database: Any, schedule_id: uuid.UUID, when: datetime) -> None:
    with database.session_factory() as session:
        schedule = session.get(WorkflowSchedule, schedule_id)
        assert schedule is not None
        schedule.next_fire_at = when
        session.commit()


def fired(database: Any, workflow_id: uuid.UUID, slot: datetime) -> bool:
    with database.session_factory() as session:
        schedule = session.scalar(select(WorkflowSchedule).where(WorkflowSchedule.workflow_id == workflow_id))
        started = session.scalar(
            select(WorkflowExecution.id).where(
                WorkflowExecution.workflow_id == workflow_id,
                WorkflowExecution.trigger_key == f"cron:tick:{slot.isoformat()}",
            )
        )
    return started is not None and schedule is not None and schedule.next_fire_at > utcnow()


def race_schedulers(database: Any, schedule_id: uuid.UUID, slot: datetime, *, count: int) -> list[list[uuid.UUID]]:
    """`count` threads run the cron scheduler on their own connections at the same instant, once the slot is due."""
    barrier = threading.Barrier(count + 1)
    results: list[list[uuid.UUID]] = [[] for _ in range(count)]
    errors: list[BaseException] = []

    def fire(index: int) -> None:
        try:
            with database.session_factory() as session:
                session.execute(select(1))  # connected before the start line, so all set off together
                barrier.wait(timeout=30)
                results[index] = executions_service.fire_due_schedules(session, now=utcnow())
                session.commit()
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=fire, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    set_next_fire_at(database, schedule_id, slot)
    barrier.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def all_finished(client: httpx.Client, user: SignedInUser, workflow_id: str) -> bool:
    items = client.get("/api/v1/executions", params={"workflow_id": workflow_id}, headers=user.headers).json()["items"]
    return bool(items) and all(item["status"] in ("completed", "failed", "cancelled") for item in items)


# ---------------------------------------------------------------- 3. isolation


def test_a_user_outside_the_workspace_sees_none_of_it(api: TestClient, processes: Processes) -> None:
    worker = processes.worker("worker")  # boots while the users and the workflow are set up
    alice = sign_up(api, "alice@example.com")
    mallory = sign_up(api, "mallory@example.com")
    graph = chain(
        {"id": "start", "type": "manual"},
        {"id": "greet", "type": "transform", "config": {"output": "hello {{ input.name }}"}},
    )
    workflow = create_workflow(api, alice, "Private", graph)
    wait_worker_ready(worker, "worker")
    execution_id = start(api, alice, workflow["id"], {"name": "alice"})
    assert wait_status(api, alice, execution_id, "completed", "failed", timeout=60)["status"] == "completed"
    workflow_id = workflow["id"]

    # Alice sees everything: the 404s below are about Mallory, not about missing things.
    for path in (
        f"/api/v1/workflows/{workflow_id}",
        f"/api/v1/workflows/{workflow_id}/versions",
        f"/api/v1/executions/{execution_id}",
        f"/api/v1/executions/{execution_id}/nodes",
        f"/api/v1/executions/{execution_id}/logs",
    ):
        assert api.get(path, headers=alice.headers).status_code == 200, path

    reads = {
        f"/api/v1/workflows/{workflow_id}": "workflow_not_found",
        f"/api/v1/workflows/{workflow_id}/versions": "workflow_not_found",
        f"/api/v1/workflows/{workflow_id}/versions/1": "workflow_not_found",
        f"/api/v1/workflows/{workflow_id}/export": "workflow_not_found",
        f"/api/v1/workflows/{workflow_id}/diff?from=1&to=1": "workflow_not_found",
        f"/api/v1/executions/{execution_id}": "execution_not_found",
        f"/api/v1/executions/{execution_id}/nodes": "execution_not_found",
        f"/api/v1/executions/{execution_id}/logs": "execution_not_found",
    }
    for path, error in reads.items():
        response = api.get(path, headers=mallory.headers)
        assert response.status_code == 404, (path, response.text)
        body = response.json()["detail"]
        assert body["error"] == error, (path, body)
        assert "hello" not in response.text and "Private" not in response.text
    # The same answer as for an id that does not exist at all: no way to tell the two apart.
    unknown = str(uuid.uuid4())
    mine = api.get(f"/api/v1/executions/{execution_id}", headers=mallory.headers).json()["detail"]
    nobody = api.get(f"/api/v1/executions/{unknown}", headers=mallory.headers).json()["detail"]
    assert mine["message"].replace(execution_id, unknown) == nobody["message"]

    writes = [
        ("put", f"/api/v1/workflows/{workflow_id}", {"name": "taken", **graph}),
        ("patch", f"/api/v1/workflows/{workflow_id}/status", {"status": "archived"}),
        ("post", f"/api/v1/workflows/{workflow_id}/duplicate", None),
        ("post", f"/api/v1/workflows/{workflow_id}/webhook", None),
        ("delete", f"/api/v1/workflows/{workflow_id}", None),
        ("post", "/api/v1/executions", {"workflow_id": workflow_id, "trigger_data": {"name": "mallory"}}),
        ("post", f"/api/v1/executions/{execution_id}/cancel", None),
        ("post", f"/api/v1/executions/{execution_id}/retry", None),
        ("post", f"/api/v1/executions/{execution_id}/rerun", {"from_node": "greet"}),
        ("post", f"/api/v1/executions/{execution_id}/approve", {}),
        ("post", f"/api/v1/executions/{execution_id}/reject", {}),
    ]
    for method, path, body in writes:
        response = api.request(method.upper(), path, json=body, headers=mallory.headers)
        assert response.status_code == 404, (method, path, response.text)

    nothing = api.get("/api/v1/executions", headers=mallory.headers).json()
    assert (nothing["items"], nothing["total"]) == ([], 0)
    filtered = api.get("/api/v1/executions", params={"workflow_id": workflow_id}, headers=mallory.headers).json()
    assert (filtered["items"], filtered["total"]) == ([], 0)
    other_workspace = api.get(
        "/api/v1/executions", params={"workspace_id": alice.workspace_id}, headers=mallory.headers
    )
    assert other_workspace.status_code == 404
    assert api.get("/api/v1/workflows", headers=mallory.headers).json()["total"] == 0

    # Nothing Mallory tried changed anything of Alice's.
    still = api.get(f"/api/v1/workflows/{workflow_id}", headers=alice.headers).json()
    assert (still["name"], still["status"], still["version"]) == ("Private", "draft", 1)
    alice_runs = api.get("/api/v1/executions", params={"workflow_id": workflow_id}, headers=alice.headers).json()
    assert [item["id"] for item in alice_runs["items"]] == [execution_id]
    assert alice_runs["items"][0]["status"] == "completed" and alice_runs["items"][0]["run"] == 1

    # The live stream: an error message, then the socket is closed with 4401.
    with api.websocket_connect(f"/api/v1/ws/executions/{execution_id}?access_token={mallory.access_token}") as ws:
        refused = ws.receive_json()
        assert refused["type"] == "error" and refused["error"] == "not_found_or_unauthenticated"
        assert "nodes" not in refused
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401
    # Nor through the general event socket's topic subscription.
    with api.websocket_connect(f"/api/v1/ws?access_token={mallory.access_token}") as ws:
        assert ws.receive_json()["type"] == "authenticated"
        ws.send_json({"action": "subscribe", "topics": [f"executions.{execution_id}"]})
        assert ws.receive_json() == {"type": "subscribed", "topics": []}
        assert ws.receive_json()["error"] == "forbidden_topic"


# ---------------------------------------------------------------- 4. live progress across processes


def test_a_websocket_on_the_api_process_follows_a_run_executed_by_a_worker_process(
    api: TestClient, start_worker: StartWorker
) -> None:
    alice = sign_up(api, "alice@example.com")
    graph = chain(
        {"id": "start", "type": "manual"},
        {"id": "double", "type": "transform", "config": {"output": "{{ input.n * 2 }}"}},
        {"id": "pause", "type": "wait", "config": {"seconds": 0.1}},
        {"id": "label", "type": "transform", "config": {"output": "got {{ nodes.double }}"}},
    )
    workflow = create_workflow(api, alice, "Watched", graph)
    # No worker yet: the run waits in the queue until the socket is listening, so no event can be missed.
    execution_id = start(api, alice, workflow["id"], {"n": 21})
    with api.websocket_connect(f"/api/v1/ws/executions/{execution_id}?access_token={alice.access_token}") as ws:
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot" and snapshot["execution_id"] == execution_id
        assert snapshot["status"] == "pending"
        assert [(n["node_id"], n["status"]) for n in snapshot["nodes"]] == [
            ("start", "pending"),
            ("double", "pending"),
            ("pause", "pending"),
            ("label", "pending"),
        ]
        worker = start_worker()
        messages: list[dict[str, Any]] = []
        while not (messages and messages[-1]["type"] == "status_change" and messages[-1]["status"] == "completed"):
            messages.append(ws.receive_json())

    assert all(m["execution_id"] == execution_id and m["timestamp"] for m in messages)
    assert [m["status"] for m in messages if m["type"] == "status_change"] == ["running", "completed"]
    node_events = [(m["node_id"], m["status"]) for m in messages if m["type"] == "node_status"]
    assert node_events == [
        (node_id, status) for node_id in ("start", "double", "pause", "label") for status in ("running", "completed")
    ]
    completed = {m["node_id"]: m["data"] for m in messages if m["type"] == "node_status" and m["status"] == "completed"}
    assert completed["pause"]["duration_ms"] >= 100
    done = wait_status(api, alice, execution_id, "completed", timeout=10)
    assert done["output"] == {"label": "got 42"}
    # Run by the worker process (this API process only enqueues in distributed mode).
    assert finished_in(worker, execution_id)


def finished_in(process: WorkerProcess, execution_id: str) -> bool:
    """The process's JSON log records that it finished this execution."""
    return any("execution_finished" in line and execution_id in line for line in process.log().splitlines())
