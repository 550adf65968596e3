from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SignedInUser, wait_for_job
from trellis.core.jobs import enqueue, job_handler
from trellis.core.runtime import Runtime

attempts_seen: list[int] = []


@job_handler("test.api.flaky", max_attempts=1)
def fails_first_time(ctx, payload):  # type: ignore[no-untyped-def]
    attempts_seen.append(ctx.attempt)
    if ctx.attempt == 1:
        raise RuntimeError("first attempt fails")
    return {"ok": ctx.attempt}


@job_handler("test.api.echo")
def echo(ctx, payload):  # type: ignore[no-untyped-def]
    return payload


@pytest.fixture(autouse=True)
def as_admin(client: TestClient, admin: SignedInUser) -> None:
    client.headers.update(admin.headers)


def test_jobs_are_for_administrators_only(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    user = signed_in("plain@example.com")
    job_id = enqueue("test.api.echo", {})
    assert client.get(f"/api/v1/jobs/{job_id}", headers=user.headers).status_code == 403
    assert client.get("/api/v1/jobs", headers={"Authorization": ""}).status_code == 401


def test_job_is_visible_with_its_status_and_result(client: TestClient, runtime: Runtime) -> None:
    job_id = enqueue("test.api.echo", {"value": 7})
    wait_for_job(runtime, job_id, "completed")
    body = client.get(f"/api/v1/jobs/{job_id}").json()
    assert body["id"] == str(job_id)
    assert body["name"] == "test.api.echo"
    assert body["status"] == "completed"
    assert body["result"] == {"value": 7}
    assert body["attempts"] == 1 and body["max_attempts"] == 5
    assert body["finished_at"] is not None and body["lease_owner"] is None


def test_missing_job_is_a_uniform_404(client: TestClient) -> None:
    missing = uuid.uuid4()
    response = client.get(f"/api/v1/jobs/{missing}")
    assert response.status_code == 404
    assert response.json() == {
        "detail": {
            "error": "job_not_found",
            "message": f"Job {missing} does not exist.",
            "job_id": str(missing),
        }
    }


def test_jobs_list_filters_and_paginates(client: TestClient, runtime: Runtime) -> None:
    ids = [enqueue("test.api.echo", {"n": n}) for n in range(3)]
    for job_id in ids:
        wait_for_job(runtime, job_id, "completed")
    page = client.get("/api/v1/jobs", params={"name": "test.api.echo", "status": "completed", "limit": 2}).json()
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 0
    assert [item["id"] for item in page["items"]] == [str(i) for i in reversed(ids)][:2]
    assert client.get("/api/v1/jobs", params={"status": "bogus"}).status_code == 422


def test_failed_job_can_be_retried_and_then_completes(client: TestClient, runtime: Runtime) -> None:
    job_id = enqueue("test.api.flaky", {})
    wait_for_job(runtime, job_id, "failed")
    response = client.post(f"/api/v1/jobs/{job_id}/retry", json={"extra_attempts": 1})
    assert response.status_code == 202
    assert response.headers["location"] == f"/api/v1/jobs/{job_id}"
    assert response.json()["status"] == "pending"
    job = wait_for_job(runtime, job_id, "completed")
    assert job.attempts == 2 and job.result == {"ok": 2}


def test_retrying_a_job_that_has_not_failed_is_a_409(client: TestClient, runtime: Runtime) -> None:
    job_id = enqueue("test.api.echo", {})
    wait_for_job(runtime, job_id, "completed")
    response = client.post(f"/api/v1/jobs/{job_id}/retry")
    assert response.status_code == 409
    assert response.json()["detail"] == {
        "error": "job_not_failed",
        "message": f"Only failed jobs can be retried; job {job_id} is completed.",
        "job_id": str(job_id),
        "status": "completed",
    }
