"""LangGraph checkpoints in Trellis's own database: SqliteSaver on the SQLite file, PostgresSaver on PostgreSQL.

One saver per runtime (process), created on first use. The savers own their tables
(`checkpoints`, `writes` on SQLite; `checkpoint*` on PostgreSQL) and create them with their
own `setup()`; Alembic leaves those tables alone (see migrations/env.py).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
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

        path = _checkpoint_file(engine.url.database)
        connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute("PRAGMA synchronous=NORMAL")
        sqlite_saver = SqliteSaver(connection)
        sqlite_saver.setup()
        if path != ":memory:" and engine.url.database:
            _adopt_checkpoints_from(connection, engine.url.database)
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


def _checkpoint_file(database: str | None) -> str:
    """Checkpoints get their own SQLite file next to the database: one file shared by two connections
    made every checkpoint write wait for the engine's writes (SQLite's busy handler sleeps 1-100 ms)."""
    if not database or database == ":memory:":
        return ":memory:"
    main = Path(database)
    path = main.with_name(f"{main.stem}.checkpoints{main.suffix or '.db'}")
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # owner-only, like the database
    return str(path)


def _adopt_checkpoints_from(connection: sqlite3.Connection, database: str) -> None:
    """Checkpoints written into the database file itself (before they had their own file) move over once,
    so executions waiting on an approval or a timer resume after an upgrade."""
    connection.execute("ATTACH DATABASE ? AS legacy", (database,))
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM legacy.sqlite_master WHERE type = 'table'")}
        if {"checkpoints", "writes"} <= tables:
            with connection:  # copy, then drop: re-running after a crash in between copies nothing twice
                connection.execute("INSERT OR IGNORE INTO main.checkpoints SELECT * FROM legacy.checkpoints")
                connection.execute("INSERT OR IGNORE INTO main.writes SELECT * FROM legacy.writes")
            with connection:
                connection.execute("DROP TABLE legacy.writes")
                connection.execute("DROP TABLE legacy.checkpoints")
    finally:
        connection.execute("DETACH DATABASE legacy")


def delete_checkpoints(runtime: Runtime, execution_id: str) -> None:
    checkpointer_for(runtime).delete_thread(execution_id)
