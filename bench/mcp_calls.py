"""MCP tool-call latency through Trellis's connection manager, against real servers.

    .venv/bin/python bench/mcp_calls.py --calls 200

- stdio: PyPI's mcp-server-time started from this virtualenv (`convert_time`), and
- streamable HTTP: tests/mcp/echo_server.py (the SDK's MCPServer) started on a free port (`add`),

each measured as: time to open a session (spawn or connect + MCP handshake + tools/list), then
sequential calls on the reused session (p50/p95/max), then `--concurrency` callers on separate
threads and event loops sharing the one session (calls/s).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import structlog

from trellis.mcp.client import call_mcp_tool, connect_server
from trellis.mcp.config import McpServerConfig
from trellis.mcp.connections import connection_manager
from trellis.mcp.models import McpTransport

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-0123456789"
CONVERT = {"source_timezone": "Asia/Tokyo", "time": "12:00", "target_timezone": "Asia/Kolkata"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(config: McpServerConfig, tool: str, arguments: dict[str, object], calls: int, concurrency: int) -> None:
    started = time.perf_counter()
    asyncio.run(connect_server(config))
    connect_ms = (time.perf_counter() - started) * 1000

    async def sequential() -> list[float]:
        timings = []
        for _ in range(calls):
            begin = time.perf_counter()
            result = await call_mcp_tool(config, tool, arguments, timeout=30)
            timings.append((time.perf_counter() - begin) * 1000)
            assert not result.is_error, result.text
        return timings

    timings = asyncio.run(sequential())
    per_thread = max(1, calls // concurrency)

    def worker() -> None:
        async def run() -> None:
            for _ in range(per_thread):
                await call_mcp_tool(config, tool, arguments, timeout=30)

        asyncio.run(run())

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    throughput = per_thread * concurrency / (time.perf_counter() - begin)
    print(
        f"{config.type.value:16} connect {connect_ms:7.1f} ms | {calls} sequential calls: "
        f"p50 {statistics.median(timings):5.2f} ms, p95 {percentile(timings, 0.95):5.2f} ms, "
        f"max {max(timings):6.2f} ms | {concurrency} concurrent callers: {throughput:7.1f} calls/s"
    )
    manager = connection_manager()
    manager.run_sync(manager.close_all(), timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("httpx2").setLevel(logging.WARNING)

    stdio = McpServerConfig(
        server_id="bench-stdio",
        workspace_id="bench",
        name="time",
        type=McpTransport.STDIO,
        command=sys.executable,
        args=("-m", "mcp_server_time", "--local-timezone", "UTC"),
    )
    measure(stdio, "convert_time", CONVERT, options.calls, options.concurrency)

    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, str(ROOT / "tests/mcp/echo_server.py")),
            *("--transport", "streamable_http", "--port", str(port), "--token", TOKEN),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        http = McpServerConfig(
            server_id="bench-http",
            workspace_id="bench",
            name="echo",
            type=McpTransport.STREAMABLE_HTTP,
            url=f"http://127.0.0.1:{port}/mcp",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        measure(http, "add", {"a": 1, "b": 2}, options.calls, options.concurrency)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
