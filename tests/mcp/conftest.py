"""Real MCP servers for the tests: `mcp-server-time` from PyPI over stdio, and an MCPServer (FastMCP) the
test starts over streamable HTTP or SSE (tests/mcp/echo_server.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from trellis.mcp.connections import connection_manager

ECHO_SERVER = Path(__file__).with_name("echo_server.py")
HTTP_TOKEN = "mcp-test-token-8f2a61c94be7"


def time_server_body(name: str = "time", **extra: object) -> dict[str, object]:
    """A stdio registration of PyPI's mcp-server-time with a fixed local zone (works offline)."""
    return {
        "name": name,
        "type": "stdio",
        "command": sys.executable,
        "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"],
        **extra,
    }


@dataclass
class HttpMcpServer:
    transport: str
    url: str
    token: str
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(transport: str) -> Iterator[HttpMcpServer]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(ECHO_SERVER), "--transport", transport, "--port", str(port), "--token", HTTP_TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"the {transport} MCP test server did not start") from None
            time.sleep(0.05)
    path = "/mcp" if transport == "streamable_http" else "/sse"
    try:
        yield HttpMcpServer(transport, f"http://127.0.0.1:{port}{path}", HTTP_TOKEN, process)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def streamable_http_server() -> Iterator[HttpMcpServer]:
    yield from _start("streamable_http")


@pytest.fixture(scope="session")
def sse_server() -> Iterator[HttpMcpServer]:
    yield from _start("sse")


@pytest.fixture(autouse=True)
def _close_sessions() -> Iterator[None]:
    """Each test starts and ends without open MCP sessions (the manager is per process)."""
    yield
    manager = connection_manager()
    manager.run_sync(manager.close_all(), timeout=60)


def mcp_children(marker: str) -> list[int]:
    """Live processes of ours whose command line contains `marker` (e.g. the stdio server's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if marker in cmdline and "Z" not in state.split()[1]:
            found.append(int(entry.name))
    return found
