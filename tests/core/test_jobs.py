"""The job system in embedded mode: runs, retries, idempotency, leases, sweeping."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import load_job, wait_for, wait_for_job
from trellis.core.db import utcnow
from trellis.core.jobs import Job, JobStatus, PermanentJobError, enqueue, job_handler, store
from trellis.core.runtime import Runtime

calls: dict[str, list[int]] = {}


@job_handler("test.add")
def add_numbers(ctx, payload):  # type: ignore[no-untyped-def]
    calls.setdefault(str(ctx.job_id), []).append(ctx.attempt)
    return {"sum": payload["a"] + payload["b"]}


@job_handler("test.flaky", max_attempts=5)
def fail_twice_then_succeed(ctx, payload):  # type: ignore[no-untyped-def]
    calls.setdefault(str(ctx.job_id), []).append(ctx.attempt)
    if ctx.attempt < 3:
        raise ConnectionError(f"upstream unavailable on attempt {ctx.attempt}")
    return {"attempt": ctx.attempt}


@job_handler("test.always_fails", max_attempts=3)
def always_fails(ctx, payload):  # type: ignore[no-untyped-def]
    raise TimeoutError("password=hunter2secret leaked into an error message")


@job_handler("test.permanent")
def permanent_failure(ctx, payload):  # type: ignore[no-untyped-def]
    calls.setdefault(str(ctx.job_id), []).append(ctx.attempt)
    raise PermanentJobError("repository 42 does not exist")


@job_handler("test.async")
async def async_handler(ctx, payload):  # type: ignore[no-untyped-def]
    return {"echo": payload["value"], "attempt": ctx.attempt}


def test_enqueued_job_runs_once_and_stores_its_result(runtime: Runtime) -> None:
    job_id = enqueue("test.add", {"a": 2, "b": 40})
    job = wait_for_job(runtime, job_id, "completed")
    assert job.result == {"sum": 42}
    assert job.attempts == 1
    assert job.lease_owner is None and job.finished_at is not None
    assert calls[str(job_id)] == [1]


def test_async_handlers_are_supported(runtime: Runtime) -> None:
    job = wait_for_job(runtime, enqueue("test.async", {"value": "hi"}), "completed")
    assert job.result == {"echo": "hi", "attempt": 1}


def test_transient_failures_are_retried_with_backoff_until_success(runtime: Runtime) -> None:
    job_id = enqueue("test.flaky", {})
    job = wait_for_job(runtime, job_id, "completed")
    assert job.attempts == 3
    assert calls[str(job_id)] == [1, 2, 3]
    assert job.result == {"attempt": 3}
    assert job.last_error is None


def test_exhausted_attempts_fail_the_job_with_a_masked_error(runtime: Runtime) -> None:
    job = wait_for_job(runtime, enqueue("test.always_fails", {}), "failed")
    assert job.attempts == 3
    assert job.last_error is not None
    assert job.last_error.startswith("TimeoutError:")
    assert "hunter2secret" not in job.last_error


def test_permanent_errors_are_not_retried(runtime: Runtime) -> None:
    job_id = enqueue("test.permanent", {})
    job = wait_for_job(runtime, job_id, "failed")
    assert job.attempts == 1
    assert calls[str(job_id)] == [1]
    assert job.last_error == "PermanentJobError: repository 42 does not exist"


def test_unknown_job_name_fails_with_a_clear_error(runtime: Runtime) -> None:
    job = wait_for_job(runtime, enqueue("test.nobody_handles_this", {}), "failed")
    assert job.last_error == "no handler is registered for job 'test.nobody_handles_this'"


def test_idempotency_key_returns_the_same_job_and_runs_it_once(runtime: Runtime) -> None:
    first = enqueue("test.add", {"a": 1, "b": 1}, idempotency_key="sum-once")
    second = enqueue("test.add", {"a": 1, "b": 1}, idempotency_key="sum-once")
    assert first == second
    wait_for_job(runtime, first, "completed")
    with runtime.database.session_factory() as session:
        count = len(session.scalars(select(Job).where(Job.idempotency_key == "sum-once")).all())
    assert count == 1
    assert calls[str(first)] == [1]


def test_concurrent_enqueues_with_one_key_create_one_job(runtime: Runtime) -> None:
    ids: list[uuid.UUID] = []
    barrier = threading.Barrier(6)

    def submit() -> None:
        barrier.wait()
        ids.append(enqueue("test.add", {"a": 3, "b": 4}, idempotency_key="race"))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    wait_for_job(runtime, ids[0], "completed")
    assert calls[str(ids[0])] == [1]


def test_job_enqueued_in_a_rolled_back_session_never_exists(runtime: Runtime) -> None:
    with runtime.database.session_factory() as session:
        job_id = enqueue("test.add", {"a": 1, "b": 2}, db_session=session)
        session.rollback()
    with runtime.database.session_factory() as session:
        assert session.get(Job, job_id) is None


def test_job_enqueued_in_a_session_starts_only_after_commit(runtime: Runtime) -> None:
    with runtime.database.session_factory() as session:
        job_id = enqueue("test.add", {"a": 5, "b": 5}, db_session=session)
        session.commit()
    assert wait_for_job(runtime, job_id, "completed").result == {"sum": 10}


def _plant_dead_workers_job(runtime: Runtime, name: str, payload: dict) -> uuid.UUID:  # type: ignore[type-arg]
    """A job held by a worker that died: running, lease already lapsed."""
    past = utcnow() - timedelta(seconds=30)
    with runtime.database.session_factory() as session:
        job = Job(
            name=name,
            payload=payload,
            status=JobStatus.RUNNING,
            attempts=1,
            max_attempts=3,
            lease_owner="dead-host:1234:abcdef",
            lease_expires_at=past,
            heartbeat_at=past - timedelta(seconds=30),
            run_after=past,
            dispatched_at=past,
        )
        session.add(job)
        session.commit()
        return job.id


def test_sweeper_requeues_a_job_whose_worker_died_and_it_completes(runtime: Runtime) -> None:
    job_id = _plant_dead_workers_job(runtime, "test.add", {"a": 20, "b": 22})
    job = wait_for_job(runtime, job_id, "completed")
    assert job.result == {"sum": 42}
    assert job.attempts == 2
    assert calls[str(job_id)] == [2]


def test_sweeper_fails_a_dead_workers_job_that_has_no_attempts_left(runtime: Runtime) -> None:
    job_id = _plant_dead_workers_job(runtime, "test.add", {"a": 1, "b": 1})
    with runtime.database.session_factory() as session:
        session.execute(update(Job).where(Job.id == job_id).values(max_attempts=1))
        session.commit()
    job = wait_for_job(runtime, job_id, "failed")
    assert "dead-host:1234:abcdef stopped heartbeating" in (job.last_error or "")


def test_a_stale_worker_cannot_overwrite_a_job_claimed_again(runtime: Runtime) -> None:
    """Worker A's lease lapses, the job is swept and claimed by B; A's late result is discarded."""
    runtime.jobs.close()  # stop the in-process pool; this test drives the store by hand
    now = utcnow()
    with runtime.database.session_factory() as session:
        job_id, _ = store.insert_job(
            session,
            name="test.add",
            payload={},
            idempotency_key=None,
            max_attempts=3,
            backoff_seconds=0,
            priority=0,
            run_after=now,
            now=now,
        )
        session.commit()
    with runtime.database.session_factory() as session:
        lease_a = store.claim_job(session, job_id, owner="A", lease_seconds=0.01, now=now)
        session.commit()
    assert lease_a is not None
    later = now + timedelta(seconds=1)
    with runtime.database.session_factory() as session:
        assert store.requeue_expired_leases(session, now=later) == [(job_id, JobStatus.PENDING)]
        lease_b = store.claim_job(session, job_id, owner="B", lease_seconds=30, now=later)
        session.commit()
    assert lease_b is not None and lease_b.attempt == 2
    with runtime.database.session_factory() as session:
        assert store.complete_job(session, lease_a, result={"from": "A"}, now=later) is False
        assert store.renew_leases(session, [lease_a, lease_b], lease_seconds=30, now=later) == {job_id}  # A lost it
        assert store.complete_job(session, lease_b, result={"from": "B"}, now=later) is True
        session.commit()
    job = load_job(runtime, job_id)
    assert job.status == "completed" and job.result == {"from": "B"}


def test_two_claimers_of_one_job_cannot_both_win(runtime: Runtime) -> None:
    runtime.jobs.close()
    now = utcnow()
    with runtime.database.session_factory() as session:
        job_id, _ = store.insert_job(
            session,
            name="test.add",
            payload={},
            idempotency_key=None,
            max_attempts=3,
            backoff_seconds=0,
            priority=0,
            run_after=now,
            now=now,
        )
        session.commit()
    winners = []
    barrier = threading.Barrier(4)

    def claim(owner: str) -> None:
        barrier.wait()
        with runtime.database.session_factory() as session:
            claimed = store.claim_job(session, job_id, owner=owner, lease_seconds=30, now=utcnow())
            session.commit()
        if claimed is not None:
            winners.append(owner)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert load_job(runtime, job_id).lease_owner == winners[0]


def test_heartbeats_extend_the_lease_of_a_long_job(runtime: Runtime) -> None:
    release = threading.Event()
    observed: dict[str, object] = {}

    @job_handler("test.long")
    def long_job(ctx, payload):  # type: ignore[no-untyped-def]
        release.wait(10)
        observed["lease_lost"] = ctx.lease_lost
        return {"done": True}

    job_id = enqueue("test.long", {})
    first = wait_for_job(runtime, job_id, "running")
    lease_seconds = runtime.settings.job_lease_seconds
    # Run past two full leases; without heartbeats the sweeper would requeue it.
    wait_for(
        lambda: (utcnow() - first.started_at).total_seconds() > 2 * lease_seconds,  # type: ignore[operator]
        timeout=10,
        what="two lease periods",
    )
    running = load_job(runtime, job_id)
    assert running.status == "running" and running.attempts == 1
    assert running.lease_expires_at > first.lease_expires_at  # type: ignore[operator]
    release.set()
    assert wait_for_job(runtime, job_id, "completed").attempts == 1
    assert observed["lease_lost"] is False


def test_retry_delay_doubles_per_attempt_and_is_capped(runtime: Runtime) -> None:
    claimed = store.ClaimedJob(uuid.uuid4(), "x", {}, 1, 10, 2.0, None, "me")
    delays = [
        runtime.jobs.runner.retry_delay(store.ClaimedJob(**{**claimed.__dict__, "attempt": n})) for n in (1, 2, 3)
    ]
    assert 1.6 <= delays[0] <= 2.4 and 3.2 <= delays[1] <= 4.8 and 6.4 <= delays[2] <= 9.6
    capped = runtime.jobs.runner.retry_delay(store.ClaimedJob(**{**claimed.__dict__, "attempt": 30}))
    assert capped <= runtime.settings.job_backoff_max_seconds * 1.2


def test_registering_two_functions_under_one_name_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):
        job_handler("test.add")(lambda ctx, payload: None)
