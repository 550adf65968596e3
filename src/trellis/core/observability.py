"""Logging (structlog JSON with secret masking), Prometheus metrics, OpenTelemetry tracing."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

import structlog
from prometheus_client import Counter, Gauge, Histogram
from structlog.typing import EventDict, WrappedLogger

from trellis.core.config import Settings, SettingsError
from trellis.core.masking import mask_mapping

# ---------------------------------------------------------------- logging


def mask_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the last step before rendering, so tracebacks are masked too."""
    return mask_mapping(event_dict)


def configure_logging(settings: Settings) -> None:
    """Route structlog and the standard library (uvicorn, celery, sqlalchemy) through one masked renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any
    if settings.log_format == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    else:
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        # Level check first: a dropped debug/info line should cost nothing beyond it.
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            mask_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "celery", "celery.worker", "celery.app.trace"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # Every request is logged once by our middleware, with ids and route; uvicorn's line would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


# ---------------------------------------------------------------- metrics (names from seeds 001 and 004)

_DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests handled, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from request start to the last response byte, by method and route template.",
    ["method", "route"],
    buckets=_DURATION_BUCKETS,
)
JOBS_TOTAL = Counter(
    "jobs_total",
    "Job attempts finished, by job name and outcome (completed, retrying, failed).",
    ["name", "outcome"],
)
JOB_DURATION = Histogram(
    "job_duration_seconds",
    "Wall time of one job attempt, by job name.",
    ["name"],
    buckets=(*_DURATION_BUCKETS, 30, 60, 300, 900),
)
JOBS_SWEPT = Counter("jobs_swept_total", "Jobs requeued after their worker stopped heartbeating.")
DB_QUERY_DURATION = Histogram(
    "db_query_duration_seconds",
    "Time spent in database statements, by operation.",
    ["operation"],
    buckets=_DURATION_BUCKETS,
)
DB_QUERY_ERRORS = Counter("db_query_errors_total", "Database statements that raised, by operation.", ["operation"])
JOB_QUEUE_DEPTH = Gauge("jobs_queue_depth", "Jobs waiting or running, by status (read at scrape time).", ["status"])
RATE_LIMITED = Counter("rate_limited_total", "Requests refused with 429, by the limit that refused them.", ["limit"])


# ---------------------------------------------------------------- tracing

_tracer_provider: Any = None
_tracing_lock = threading.Lock()


def configure_tracing(settings: Settings) -> Any:
    """Install a process-wide tracer provider exporting OTLP/HTTP, once; None when tracing is off."""
    global _tracer_provider
    if not settings.otlp_endpoint:
        return None
    with _tracing_lock:
        if _tracer_provider is not None:
            return _tracer_provider
        try:
            from opentelemetry import trace
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            raise SettingsError(
                "invalid setting TRELLIS_OTLP_ENDPOINT: tracing needs the OpenTelemetry SDK; "
                "install it with: pip install 'trellis[otel]'"
            ) from None
        from trellis import __version__

        resource = Resource.create({"service.name": settings.service_name, "service.version": __version__})
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(
            BatchSpanProcessor(
                OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint}/v1/traces"), schedule_delay_millis=500
            )
        )
        trace.set_tracer_provider(provider)
        _tracer_provider = provider
        return provider


def instrument_database(engine: Any, provider: Any) -> None:
    """Time every statement (Prometheus) and, with tracing on, give it a client span.

    Our own engine hooks rather than opentelemetry-instrumentation-sqlalchemy, which does
    not support SQLAlchemy 2.1 and would not feed the metrics anyway.
    """
    from opentelemetry.trace import SpanKind, Status, StatusCode
    from sqlalchemy import event

    tracer = provider.get_tracer("trellis.db") if provider is not None else None
    system = engine.dialect.name

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        context._trellis_query = (operation, time.perf_counter(), None)
        if tracer is not None:
            # The statement carries placeholders, never the bound values.
            span = tracer.start_span(
                f"{operation} {system}",
                kind=SpanKind.CLIENT,
                attributes={
                    "db.system": system,
                    "db.operation.name": operation,
                    "db.statement": statement[:2000],
                },
            )
            context._trellis_query = (operation, context._trellis_query[1], span)

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        operation, started, span = getattr(context, "_trellis_query", ("SQL", None, None))
        if started is not None:
            DB_QUERY_DURATION.labels(operation).observe(time.perf_counter() - started)
        if span is not None:
            span.end()

    @event.listens_for(engine, "handle_error")
    def _error(exception_context: Any) -> None:
        context = exception_context.execution_context
        operation, _, span = getattr(context, "_trellis_query", ("SQL", None, None))
        DB_QUERY_ERRORS.labels(operation).inc()
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, type(exception_context.original_exception).__name__))
            span.end()


def flush_traces() -> None:
    if _tracer_provider is not None:
        _tracer_provider.force_flush(timeout_millis=5000)


def shutdown_tracing() -> None:
    """Flush and stop exporting (the global provider cannot be replaced; later spans are dropped)."""
    global _tracer_provider
    with _tracing_lock:
        if _tracer_provider is not None:
            _tracer_provider.shutdown()
            _tracer_provider = None
