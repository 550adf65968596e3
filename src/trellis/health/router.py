"""Operational endpoints: liveness, readiness, version, Prometheus metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from trellis import __version__
from trellis.core.errors import error_body
from trellis.core.jobs import store as job_store
from trellis.core.observability import JOB_QUEUE_DEPTH

router = APIRouter(tags=["health"])
metrics_router = APIRouter()


class HealthRead(BaseModel):
    status: Literal["ok"]
    version: str
    mode: str


class LiveRead(BaseModel):
    status: Literal["alive"]


class ReadyRead(BaseModel):
    status: Literal["ready"]
    checks: dict[str, str]


@router.get("/health", response_model=HealthRead, summary="Version and mode; does no I/O")
async def health(request: Request) -> HealthRead:
    return HealthRead(status="ok", version=__version__, mode=request.app.state.runtime.mode.value)


@router.get("/live", response_model=LiveRead, summary="The process is up")
async def live() -> LiveRead:
    return LiveRead(status="alive")


@router.get(
    "/ready",
    response_model=ReadyRead,
    summary="Every dependency of this mode is reachable",
    responses={503: {"description": "A dependency is down; `detail.checks` says which and why."}},
)
def ready(request: Request) -> ReadyRead | JSONResponse:
    checks = request.app.state.runtime.check_dependencies()
    failing = sorted(name for name, result in checks.items() if result != "ok")
    if failing:
        return JSONResponse(
            error_body("not_ready", f"Not ready: {', '.join(failing)} unavailable.", checks=checks),
            status_code=503,
        )
    return ReadyRead(status="ready", checks=checks)


@metrics_router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    runtime = request.app.state.runtime
    try:
        with runtime.database.read_session_factory() as session:
            for status, count in job_store.count_by_status(session).items():
                JOB_QUEUE_DEPTH.labels(status).set(count)
    except Exception:  # noqa: S110 - a down database must not take /metrics with it
        pass
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
