"""The application factory: routers, middleware, error handlers and the process lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware

from trellis import __version__
from trellis.agents.router import router as agents_router
from trellis.audit.router import router as audit_router
from trellis.auth.router import dev_router
from trellis.auth.router import router as auth_router
from trellis.core.config import Mode, Settings, load_settings
from trellis.core.errors import install_error_handlers
from trellis.core.http import BodySizeLimitMiddleware, RequestContextMiddleware
from trellis.core.idempotency import IdempotencyMiddleware
from trellis.core.migrate import upgrade
from trellis.core.observability import configure_logging, flush_traces
from trellis.core.ratelimit import RateLimitMiddleware
from trellis.core.runtime import Runtime, build_runtime
from trellis.credentials.router import router as credentials_router
from trellis.executions.router import router as executions_router
from trellis.health.router import metrics_router
from trellis.health.router import router as health_router
from trellis.jobs.router import router as jobs_router
from trellis.mcp.router import router as mcp_router
from trellis.mcp_server.http import McpHttpEndpoint
from trellis.planning.router import router as planning_router
from trellis.projects.router import router as projects_router
from trellis.prompts.router import router as prompts_router
from trellis.realtime.router import router as realtime_router
from trellis.refinement.router import router as refinement_router
from trellis.repos.router import router as repos_router
from trellis.requirements.router import router as requirements_router
from trellis.validation.router import router as validation_router
from trellis.web import mount_web_ui
from trellis.workflows.router import router as workflows_router
from trellis.workspaces.router import router as workspaces_router

log = structlog.get_logger("trellis")


def api_router() -> APIRouter:
    """Everything under /api/v1. Each domain contributes one router here."""
    api = APIRouter(prefix="/api/v1")
    api.include_router(health_router)
    api.include_router(auth_router)
    api.include_router(dev_router)
    api.include_router(workspaces_router)
    api.include_router(credentials_router)
    api.include_router(audit_router)
    api.include_router(projects_router)
    api.include_router(requirements_router)
    api.include_router(refinement_router)
    api.include_router(repos_router)
    api.include_router(validation_router)
    api.include_router(planning_router)
    api.include_router(prompts_router)
    api.include_router(jobs_router)
    api.include_router(agents_router)
    api.include_router(mcp_router)
    api.include_router(workflows_router)
    api.include_router(executions_router)
    api.include_router(realtime_router)
    return api


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings)
    runtime = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await _start(runtime)
        try:
            async with _app.state.mcp_endpoint.running():  # the MCP server's session manager at /mcp
                yield
        finally:
            await runtime.events.aclose()
            runtime.close()
            flush_traces()
            log.info("trellis_stopped")

    if runtime.tracer_provider is not None:
        telemetry = {"tracer_provider": runtime.tracer_provider, "metrics": False, "logs": False}
    else:
        telemetry = {"tracing": False, "metrics": False, "logs": False}
    app = FastAPI(
        title="Trellis",
        version=__version__,
        summary="From rough requirements to verified work by people and AI coding agents.",
        lifespan=lifespan,
        telemetry=telemetry,  # type: ignore[arg-type]
    )
    app.state.runtime = runtime
    app.state.settings = settings

    install_error_handlers(app)
    # Added innermost first: the request context wraps everything, so even CORS preflights get ids.
    app.add_middleware(IdempotencyMiddleware, ttl_seconds=settings.idempotency_ttl_seconds)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    # Inside CORS so a browser can read the 429; outside the rest so a refusal costs no body read.
    app.add_middleware(RateLimitMiddleware, rule=settings.rate_limit_per_ip)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "X-Correlation-ID"],
        )
    app.add_middleware(RequestContextMiddleware)

    app.include_router(health_router)
    if settings.metrics_enabled:
        app.include_router(metrics_router)
    app.include_router(api_router())
    # MCP for coding agents (streamable HTTP, personal API token): before the UI's fallback.
    app.state.mcp_endpoint = McpHttpEndpoint(app, runtime)
    app.add_route("/mcp", app.state.mcp_endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    mount_web_ui(app)  # last: its catch-all must not shadow any API route
    return app


async def _start(runtime: Runtime) -> None:
    settings = runtime.settings
    _ = settings.signing_key  # generated into the data directory on first start when not configured
    if settings.should_auto_migrate:
        upgrade(runtime.database)
    if settings.mode is Mode.EMBEDDED:
        runtime.jobs.start_processing()
    log.info(
        "trellis_started",
        version=__version__,
        mode=settings.mode.value,
        database=runtime.database.dialect,
        data_dir=str(settings.data_dir.resolve()),
        url=settings.base_url,
    )
