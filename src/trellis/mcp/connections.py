"""Per-process MCP sessions: opened on demand, reused, closed when idle or when their configuration changes.

Every session of a process lives on one private event loop in a daemon thread. Callers on any loop
(the API server's, a Celery task's `asyncio.run`, a test's) hand coroutines to that loop and await the
result, so a session never outlives the loop it was opened on and a sync caller can use it too. The
MCP SDK's context managers (stdio process, HTTP client, ClientSession) must be exited by the task that
entered them: each connection is therefore held open by its own task, which enters them, reports
ready, waits for its stop signal and exits them (for stdio: closes stdin, waits, then kills the tree).

The database row is the truth for configuration: a caller passes the configuration it just loaded,
and a session opened under another `config_version` of the same server is closed and replaced.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

import httpx2
import structlog
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import Implementation

from trellis import __version__
from trellis.mcp.config import McpServerConfig, McpSettings, current_mcp_settings
from trellis.mcp.errors import McpError, McpStdioDisabled, McpTimeout
from trellis.mcp.failures import describe_failure
from trellis.mcp.models import McpTransport

log = structlog.get_logger("trellis.mcp")

T = TypeVar("T")
CLIENT_INFO = Implementation(name="trellis", version=__version__)
# What of a stdio server's stderr an error message quotes (its end: where the reason usually is).
STDERR_TAIL_CHARS = 1500


@dataclass
class Connection:
    config: McpServerConfig
    client: Client
    stop: asyncio.Event
    task: asyncio.Task[None]
    opened_at: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    in_flight: int = 0
    broken: bool = False

    def touch(self) -> None:
        self.last_used = time.monotonic()


class McpConnectionManager:
    """One per process (see `connection_manager()`); every method but `run*` runs on the private loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._connections: dict[str, Connection] = {}
        self._server_locks: dict[str, asyncio.Lock] = {}
        self._reaper: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- crossing into the private loop

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # After a fork (Celery prefork) the thread is gone though the attributes say otherwise.
            if self._loop is None or self._pid != os.getpid() or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    self._reaper = loop.create_task(self._reap_idle_forever())
                    loop.run_forever()

                threading.Thread(target=run, name="trellis-mcp", daemon=True).start()
                ready.wait()
                self._loop, self._pid = loop, os.getpid()
                self._connections, self._server_locks = {}, {}
            return self._loop

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Await `work` on the manager's loop from any other loop."""
        loop = self._ensure_loop()
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))

    def run_sync(self, work: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """The same, for code without an event loop (CLI, sync job handlers)."""
        return asyncio.run_coroutine_threadsafe(work, self._ensure_loop()).result(timeout)

    # ---------------------------------------------------------------- on the private loop

    def live(self, server_id: str, config_version: int | None = None) -> Connection | None:
        connection = self._connections.get(server_id)
        if connection is None or connection.broken or connection.task.done():
            return None
        if config_version is not None and connection.config.config_version != config_version:
            return None
        return connection

    async def acquire(self, config: McpServerConfig, settings: McpSettings | None = None) -> Connection:
        """The live session for this configuration, opened (within the connect timeout) when there is none."""
        settings = settings or current_mcp_settings()
        lock = self._server_locks.setdefault(config.server_id, asyncio.Lock())
        async with lock:
            existing = self._connections.get(config.server_id)
            if existing is not None:
                if existing.config == config and self.live(config.server_id) is not None:
                    existing.touch()
                    return existing
                await self._close(existing)
            connection = await self._open(config, settings)
            self._connections[config.server_id] = connection
            return connection

    async def close(self, server_id: str) -> bool:
        """Close this process's session with the server, if any; True when there was one."""
        lock = self._server_locks.setdefault(server_id, asyncio.Lock())
        async with lock:
            connection = self._connections.pop(server_id, None)
            if connection is None:
                return False
            await self._close(connection)
            return True

    async def close_all(self) -> None:
        for server_id in list(self._connections):
            await self.close(server_id)

    def mark_broken(self, connection: Connection) -> None:
        connection.broken = True

    async def _open(self, config: McpServerConfig, settings: McpSettings) -> Connection:
        if config.type is McpTransport.STDIO and not settings.allow_stdio:
            raise McpStdioDisabled(
                "stdio MCP servers are disabled on this instance (TRELLIS_MCP_ALLOW_STDIO=false).",
                server_id=config.server_id,
            )
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[Client] = loop.create_future()
        stop = asyncio.Event()
        task = loop.create_task(self._hold(config, ready, stop, settings))
        try:
            client = await asyncio.wait_for(asyncio.shield(ready), settings.connect_timeout_seconds)
        except TimeoutError:
            stop.set()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise McpTimeout(
                f"MCP server {config.name!r} did not complete the MCP handshake within "
                f"{settings.connect_timeout_seconds:g} s.",
                server_id=config.server_id,
            ) from None
        log.info("mcp_connected", server_id=config.server_id, server=config.name, transport=config.type.value)
        return Connection(config=config, client=client, stop=stop, task=task)

    async def _hold(
        self, config: McpServerConfig, ready: asyncio.Future[Client], stop: asyncio.Event, settings: McpSettings
    ) -> None:
        stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        http_errors: list[int] = []
        try:
            async with AsyncExitStack() as stack:
                client = Client(
                    await _transport(config, stack, stderr, settings, http_errors),
                    client_info=CLIENT_INFO,
                    cache=None,
                    read_timeout_seconds=settings.connect_timeout_seconds,
                )
                await stack.enter_async_context(client)
                ready.set_result(client)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(_failure(config, exc, stderr, http_errors))
            elif not isinstance(exc, asyncio.CancelledError):
                log.warning("mcp_connection_lost", server_id=config.server_id, error=type(exc).__name__)
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            stderr.close()

    async def _close(self, connection: Connection) -> None:
        connection.stop.set()
        try:
            # The stdio transport needs up to ~6 s to escalate from closing stdin to SIGKILL.
            await asyncio.wait_for(asyncio.shield(connection.task), 15)
        except (TimeoutError, Exception):
            connection.task.cancel()
        log.info("mcp_disconnected", server_id=connection.config.server_id, server=connection.config.name)

    async def _reap_idle_forever(self) -> None:
        while True:
            settings = current_mcp_settings()
            # A short tick (a dict scan) so a changed idle timeout applies within a second.
            await asyncio.sleep(max(0.05, min(settings.idle_timeout_seconds / 2, 1.0)))
            cutoff = time.monotonic() - settings.idle_timeout_seconds
            for server_id, connection in list(self._connections.items()):
                if connection.in_flight == 0 and (connection.last_used < cutoff or connection.task.done()):
                    await self.close(server_id)


async def _transport(
    config: McpServerConfig, stack: AsyncExitStack, stderr: TextIO, settings: McpSettings, http_errors: list[int]
) -> Any:
    if config.type is McpTransport.STDIO:
        assert config.command is not None
        parameters = StdioServerParameters(command=config.command, args=list(config.args), env=dict(config.env))
        return stdio_client(parameters, errlog=stderr)
    assert config.url is not None
    headers = dict(config.headers)
    if config.type is McpTransport.SSE:
        return sse_client(config.url, headers=headers, timeout=settings.connect_timeout_seconds)

    async def note_status(response: httpx2.Response) -> None:
        # The streamable HTTP transport reports a 401 as a bare JSON-RPC error; keep the status to say so.
        if response.status_code >= 400:
            http_errors.append(response.status_code)

    http_client = await stack.enter_async_context(
        httpx2.AsyncClient(
            headers=headers,
            timeout=httpx2.Timeout(settings.connect_timeout_seconds, read=300.0),
            event_hooks={"response": [note_status]},
        )
    )
    return streamable_http_client(config.url, http_client=http_client)


def _failure(config: McpServerConfig, exc: BaseException, stderr: TextIO, http_errors: list[int]) -> McpError:
    tail = ""
    if config.type is McpTransport.STDIO:
        try:
            stderr.seek(0)
            tail = stderr.read()[-STDERR_TAIL_CHARS:].strip()
        except (OSError, ValueError):
            tail = ""
    return describe_failure(config, exc, stderr_tail=tail, http_status=http_errors[-1] if http_errors else None)


_manager = McpConnectionManager()


def connection_manager() -> McpConnectionManager:
    return _manager


def _close_at_exit() -> None:
    # Stop stdio servers with the process rather than leaving them to notice the closed pipe.
    if _manager._loop is not None and _manager._pid == os.getpid() and _manager._connections:
        # Log handlers may already be closed (a test runner's captured streams): a line that cannot be written is
        # dropped rather than printed as a "--- Logging error ---" traceback.
        logging.raiseExceptions = False
        with contextlib.suppress(Exception):  # at exit there is nobody left to tell
            _manager.run_sync(_manager.close_all(), timeout=20)


atexit.register(_close_at_exit)
