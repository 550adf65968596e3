from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import wait_for_job
from trellis.core.jobs import enqueue, job_handler
from trellis.core.runtime import Runtime


@job_handler("test.metrics.job")
def metered(ctx, payload):  # type: ignore[no-untyped-def]
    return None


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_http_metrics_are_labelled_by_route_template(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    before = _samples(client)
    key = ("http_requests_total", (("method", "GET"), ("route", "/api/v1/jobs/{job_id}"), ("status", "404")))
    for _ in range(3):
        client.get("/api/v1/jobs/8a4f5a3c-1c53-4a6e-9d1e-8a0b4c0d7e21", headers=admin.headers)
    after = _samples(client)
    assert after[key] - before.get(key, 0) == 3
    histogram = (
        "http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/api/v1/jobs/{job_id}")),
    )
    assert after[histogram] - before.get(histogram, 0) == 3
    unmatched = ("http_requests_total", (("method", "GET"), ("route", "<unmatched>"), ("status", "404")))
    client.get("/random/path/12345")
    assert _samples(client)[unmatched] >= 1


def test_job_metrics_and_queue_depth(client: TestClient, runtime: Runtime) -> None:
    before = _samples(client)
    key = ("jobs_total", (("name", "test.metrics.job"), ("outcome", "completed")))
    wait_for_job(runtime, enqueue("test.metrics.job", {}), "completed")
    after = _samples(client)
    assert after[key] - before.get(key, 0) == 1
    assert ("job_duration_seconds_count", (("name", "test.metrics.job"),)) in after
    assert after[("jobs_queue_depth", (("status", "pending"),))] == 0
    assert after[("jobs_queue_depth", (("status", "running"),))] == 0


def test_database_statements_are_timed_by_operation(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    client.get("/api/v1/jobs", headers=admin.headers)
    samples = _samples(client)
    assert samples[("db_query_duration_seconds_count", (("operation", "SELECT"),))] >= 2


def test_metrics_can_be_turned_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings
    from trellis.main import create_app

    with TestClient(create_app(make_settings(tmp_path, metrics_enabled=False))) as client:
        assert client.get("/metrics").status_code == 404
