"""Database engine, sessions and the declarative base every domain's models share."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator
from starlette.concurrency import run_in_threadpool

from trellis.core.config import Settings, ensure_data_dir
from trellis.core.errors import TrellisError

T = TypeVar("T")

# Stable constraint names so Alembic can alter and drop them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use trellis.core.db.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


@dataclass
class Database:
    engine: Engine
    session_factory: sessionmaker[Session]
    # SQLite only: a factory whose transactions start deferred, so reads run side by side.
    read_session_factory: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def create_database(settings: Settings) -> Database:
    url = settings.resolved_database_url
    read_engine: Engine
    if url.startswith("sqlite"):
        engine = _create_sqlite_engine(settings, url)
        read_engine = engine.execution_options(sqlite_deferred=True)
    else:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_recycle=settings.db_pool_recycle_seconds,
            connect_args={"application_name": settings.service_name},
        )
        read_engine = engine
    return Database(
        engine=engine,
        session_factory=sessionmaker(engine, expire_on_commit=False),
        read_session_factory=sessionmaker(read_engine, expire_on_commit=False),
    )


def _create_sqlite_engine(settings: Settings, url: str) -> Engine:
    if settings.database_url is None:
        ensure_data_dir(settings.data_dir)
        path = settings.data_dir / "trellis.db"
        if not path.exists():
            # Owner-only from the first byte; SQLite gives its -wal and -shm files the same mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20)

    @event.listens_for(engine, "connect")
    def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN is ours (see _begin below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes fails with SQLITE_BUSY (not a wait)
        # when another writer committed in between; IMMEDIATE takes the write lock up front.
        # Read-only sessions opt out so readers keep running concurrently under WAL.
        deferred = connection.get_execution_options().get("sqlite_deferred", False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

    return engine


class DbRunner:
    """Runs a route's database work in one worker-thread hop, in one transaction.

    Routes are `async def` and call `await db.run(lambda db_session: ...)`: the session is
    opened, used and closed on the same worker thread, so a request pays a single thread
    hop instead of one per dependency, endpoint and serializer (about 0.3 ms each here).
    The write runner commits when the function returns; an exception rolls back.
    """

    def __init__(self, factory: sessionmaker[Session], *, commit: bool) -> None:
        self._factory = factory
        self._commit = commit

    async def run(self, work: Callable[[Session], T]) -> T:
        return await run_in_threadpool(self.run_sync, work)

    def run_sync(self, work: Callable[[Session], T]) -> T:
        with self._factory() as session:
            try:
                result = work(session)
            except TrellisError as exc:
                # Some refusals must leave a trace (a failed sign-in, a burnt code attempt).
                if self._commit and exc.keeps_changes:
                    session.commit()
                raise
            if self._commit:
                session.commit()
            return result


async def get_db(request: Request) -> DbRunner:
    """For requests that write: the work commits when it returns."""
    return DbRunner(request.app.state.runtime.database.session_factory, commit=True)


async def get_read_db(request: Request) -> DbRunner:
    """For requests that only read: deferred SQLite transactions, readers run side by side."""
    return DbRunner(request.app.state.runtime.database.read_session_factory, commit=False)


Db = Annotated[DbRunner, Depends(get_db)]
ReadDb = Annotated[DbRunner, Depends(get_read_db)]
