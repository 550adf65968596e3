"""A real local HTTP server that stands in for an LLM provider in tests.

Each test scripts the replies (status, headers, JSON body, or a stream of SSE events /
NDJSON lines, optional delays) and afterwards reads the requests the adapter really sent
(path, headers, JSON body). Stdlib `http.server` on 127.0.0.1, one thread per connection.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Streaming bodies: SSE events as (event name or "", data) or NDJSON objects, sent one write each.
    sse: list[tuple[str, Any]] | None = None
    ndjson: list[Any] | None = None
    raw: bytes | None = None
    delay: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


def sse_reply(events: list[tuple[str, Any]], **kwargs: Any) -> Reply:
    return Reply(sse=events, **kwargs)


def openai_sse(chunks: list[dict[str, Any]]) -> Reply:
    """OpenAI streams: unnamed events, JSON data, then `data: [DONE]`."""
    return Reply(sse=[("", chunk) for chunk in chunks] + [("", "[DONE]")])


class ProviderServer:
    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def _next(self) -> Reply | None:
        with self._lock:
            return self.replies.popleft() if self.replies else None

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # streams end when the connection closes

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    parsed = json.loads(body) if body else None
                except ValueError:
                    parsed = body.decode("utf-8", errors="replace")
                owner._record(
                    Recorded(
                        method="POST",
                        path=self.path,
                        headers={key.lower(): value for key, value in self.headers.items()},
                        json=parsed,
                    )
                )
                reply = owner._next() or Reply(status=500, json={"error": {"message": "no reply scripted"}})
                if reply.delay:
                    time.sleep(reply.delay)
                # The client may have given up already (a timeout test).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.sse is not None:
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for event, data in reply.sse:
                        text = data if isinstance(data, str) else json.dumps(data)
                        prefix = f"event: {event}\n" if event else ""
                        self.wfile.write(f"{prefix}data: {text}\n\n".encode())
                        self.wfile.flush()
                    return
                if reply.ndjson is not None:
                    self.send_header("content-type", "application/x-ndjson")
                    self.end_headers()
                    for item in reply.ndjson:
                        self.wfile.write((json.dumps(item) + "\n").encode())
                        self.wfile.flush()
                    return
                payload = reply.raw if reply.raw is not None else json.dumps(reply.json).encode()
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def running_provider_server() -> Iterator[ProviderServer]:
    server = ProviderServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
