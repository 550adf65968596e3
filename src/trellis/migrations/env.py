"""Alembic environment: one migration history for SQLite and PostgreSQL.

Run through `trellis db ...` (or `alembic` with the repository's alembic.ini); the
connection comes from Trellis's settings, never from a URL written in a file.
"""

from __future__ import annotations

from alembic import context

from trellis.core.db import Base
from trellis.core.models_registry import import_all_models

import_all_models()
target_metadata = Base.metadata
config = context.config

# LangGraph's savers create and migrate their own checkpoint tables (trellis.engine.checkpoints).
_FOREIGN_TABLES = frozenset({"checkpoints", "writes", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations"})


def _include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    return not (type_ == "table" and reflected and compare_to is None and name in _FOREIGN_TABLES)


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from trellis.core.config import load_settings
        from trellis.core.db import create_database

        database = create_database(load_settings())
        with database.engine.connect() as connection:
            _run(connection)
        database.dispose()
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations()
