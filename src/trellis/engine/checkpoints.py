"""LangGraph checkpoints in Trellis's own database: SqliteSaver on the SQLite file, PostgresSaver on PostgreSQL.

One saver per runtime (process), created on first use. The savers own their tables
(`checkpoints`, `writes` on SQLite; `checkpoint*` on PostgreSQL) and create them with their
own `setup()`; Alembic leaves those tables alone (see migrations/env.py).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import text

if TYPE_CHECKING:
    from trellis.core.runtime import Runtime

CHECKPOINT_TABLES = frozenset(
    {"checkpoints", "writes", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations"}
)
_PG_SETUP_LOCK = 7_310_455_199  # advisory lock key: one process at a time runs the saver's own migrations
_lock = threading.Lock()
_ATTRIBUTE = "_trellis_checkpointer"


def checkpointer_for(runtime: Runtime) -> BaseCheckpointSaver[Any]:
    saver: BaseCheckpointSaver[Any] | None = getattr(runtime, _ATTRIBUTE, None)
    if saver is not None:
        return saver
    with _lock:
        saver = getattr(runtime, _ATTRIBUTE, None)
        if saver is None:
            saver = _open(runtime)
            setattr(runtime, _ATTRIBUTE, saver)
    return saver


def _open(runtime: Runtime) -> BaseCheckpointSaver[Any]:
    engine = runtime.database.engine
    if engine.dialect.name == "sqlite":
        from langgraph.checkpoint.sqlite import SqliteSaver

        path = engine.url.database or ":memory:"
        connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute("PRAGMA synchronous=NORMAL")
        sqlite_saver = SqliteSaver(connection)
        sqlite_saver.setup()
        runtime.closers.append(connection.close)
        return sqlite_saver

    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    pool: ConnectionPool[Any] = ConnectionPool(
        conninfo,
        min_size=1,
        max_size=max(4, runtime.settings.db_pool_size),
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=True,
    )
    runtime.closers.append(pool.close)
    postgres_saver = PostgresSaver(pool)
    # Outside any transaction: the saver's CREATE INDEX CONCURRENTLY waits for every open transaction,
    # so a lock holder idling in one would deadlock it. Poll, so a waiting process holds no snapshot either.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock_connection:
        while not lock_connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": _PG_SETUP_LOCK}):
            time.sleep(0.05)
        try:
            postgres_saver.setup()
        finally:
            lock_connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_SETUP_LOCK})
    return postgres_saver


def delete_checkpoints(runtime: Runtime, execution_id: str) -> None:
    checkpointer_for(runtime).delete_thread(execution_id)
