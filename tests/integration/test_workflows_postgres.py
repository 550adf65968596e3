"""Workflow listing on PostgreSQL: the tag filter is a JSONB containment test there, json_each on SQLite."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import sign_up
from tests.workflows.helpers import check_workflow_listing
from trellis.core.config import Settings
from trellis.main import create_app


def test_list_filters_by_tag_and_literal_search_and_pages_on_postgresql(distributed_settings: Settings) -> None:
    with TestClient(create_app(distributed_settings)) as client:
        check_workflow_listing(client, sign_up(client, "alice@example.com"))
