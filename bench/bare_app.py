"""The baseline for `api_latency.py`: plain FastAPI, same paths and response shapes as Trellis, no I/O.

Run by the benchmark as `python -m uvicorn bare_app:app --app-dir bench ...`, with uvicorn's defaults.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI

app = FastAPI(title="bare")

HEALTH = {"status": "ok", "version": "0.1.0", "mode": "embedded"}

# The fields of Trellis's JobRead, with the values a failed `bench.noop` job has.
JOB: dict[str, Any] = {
    "name": "bench.noop",
    "status": "failed",
    "payload": {"n": 1},
    "priority": 0,
    "attempts": 1,
    "max_attempts": 5,
    "run_after": "2025-01-01T00:00:00Z",
    "lease_owner": None,
    "lease_expires_at": None,
    "heartbeat_at": "2025-01-01T00:00:00.500000Z",
    "started_at": "2025-01-01T00:00:00.500000Z",
    "finished_at": "2025-01-01T00:00:00.600000Z",
    "last_error": "no handler is registered for job 'bench.noop'",
    "result": None,
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T00:00:00.600000Z",
}


@app.get("/api/v1/health")
async def health() -> dict[str, str]:
    return HEALTH


# A sync `def` with a UUID path parameter, like Trellis's route: both pay the same thread-pool hop
# and parameter parsing, so the difference measured is Trellis's middleware, database read and model.
@app.get("/api/v1/jobs/{job_id}")
def read_job(job_id: uuid.UUID) -> dict[str, Any]:
    return {"id": str(job_id), **JOB}
