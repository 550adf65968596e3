"""Alembic, driven from code: `trellis db ...` and the embedded server's start-up use these."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from trellis.core.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same in every Trellis process.
_PG_MIGRATION_LOCK = 7_310_455_198


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _serialize(connection: Connection) -> None:
    # Two processes upgrading PostgreSQL at once would race on DDL; make the second wait.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})


def upgrade(database: Database, revision: str = "head") -> None:
    with database.engine.begin() as connection:
        _serialize(connection)
        command.upgrade(_config(connection), revision)


def downgrade(database: Database, revision: str) -> None:
    with database.engine.begin() as connection:
        _serialize(connection)
        command.downgrade(_config(connection), revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def is_up_to_date(database: Database) -> bool:
    return current_revision(database) == head_revision()
