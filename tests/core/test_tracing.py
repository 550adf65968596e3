"""Traces reach a real OTLP/HTTP receiver: request spans by route, database spans, job spans."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.conftest import make_settings, wait_for, wait_for_job
from trellis.core.jobs import enqueue, job_handler
from trellis.core.observability import flush_traces, shutdown_tracing
from trellis.main import create_app


@job_handler("test.traced")
def traced(ctx, payload):  # type: ignore[no-untyped-def]
    return {"ok": True}


class Collector:
    def __init__(self) -> None:
        self.spans: list[dict[str, object]] = []
        self.paths: list[str] = []


@pytest.fixture
def collector() -> Iterator[tuple[Collector, str]]:
    received = Collector()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.paths.append(self.path)
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        attributes = {a.key: a.value for a in span.attributes}
                        received.spans.append(
                            {
                                "name": span.name,
                                "service": service.get("service.name"),
                                "attributes": attributes,
                            }
                        )
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_requests_database_calls_and_jobs_are_traced(collector: tuple[Collector, str], tmp_path: Path) -> None:
    received, endpoint = collector
    settings = make_settings(tmp_path, otlp_endpoint=endpoint, service_name="trellis-test")
    try:
        with TestClient(create_app(settings)) as client:
            client.get("/api/v1/workspaces/5a0f6b0e-9a6c-4a8e-9b1d-0d7c4a9d2c11")
            runtime = client.app.state.runtime  # type: ignore[attr-defined]
            wait_for_job(runtime, enqueue("test.traced", {}), "completed")
            flush_traces()
            names = lambda: {span["name"] for span in received.spans}  # noqa: E731
            wait_for(lambda: "job test.traced" in names(), timeout=10, what="job span")
    finally:
        shutdown_tracing()
    assert received.paths and set(received.paths) == {"/v1/traces"}
    assert {span["service"] for span in received.spans} == {"trellis-test"}
    http_span = next(s for s in received.spans if s["name"] == "GET /api/v1/workspaces/{workspace_id}")
    assert http_span["attributes"]["http.route"].string_value == "/api/v1/workspaces/{workspace_id}"  # type: ignore[index]
    assert any(str(s["name"]).startswith("SELECT") for s in received.spans), names()
    job_span = next(s for s in received.spans if s["name"] == "job test.traced")
    assert job_span["attributes"]["trellis.job.outcome"].string_value == "completed"  # type: ignore[index]
