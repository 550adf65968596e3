"""Planning and execution tracking on PostgreSQL (jobs in-process): plan versions keyed by their inputs, the
diff, task statuses with history, done reports verified by syncing and re-validating a local git repository,
traceability from a Q&A answer to a task, and the gateway through to DONE - the same journeys as on SQLite."""

from __future__ import annotations

from pathlib import Path

from tests.planning.test_planning_api import (
    test_gateway_from_plan_approval_to_done_only_when_every_task_is_verified as gateway_journey,
)
from tests.planning.test_planning_api import test_plan_versions_diff_tasks_and_verified_done_reports as plan_journey
from tests.planning.test_planning_api import test_traceability_from_qa_answer_to_verified_task as trace_journey
from tests.validation.test_validation_api import make_world


def test_plan_versions_tasks_and_done_reports_on_postgresql(tmp_path: Path, database_url: str) -> None:
    for world in make_world(tmp_path, database_url=database_url):
        plan_journey(world)


def test_traceability_on_postgresql(tmp_path: Path, database_url: str) -> None:
    for world in make_world(tmp_path, database_url=database_url):
        trace_journey(world)


def test_gateway_to_done_on_postgresql(tmp_path: Path, database_url: str) -> None:
    for world in make_world(tmp_path, database_url=database_url):
        gateway_journey(world)
