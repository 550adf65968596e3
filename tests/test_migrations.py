"""Migrations build exactly the schema the models declare, up and down, on SQLite (PostgreSQL: integration)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tests.conftest import make_settings
from trellis.core.db import Base, create_database
from trellis.core.migrate import current_revision, downgrade, head_revision, upgrade
from trellis.core.models_registry import import_all_models


def assert_migrations_match_models(database) -> None:  # type: ignore[no-untyped-def]
    import_all_models()
    upgrade(database)
    assert current_revision(database) == head_revision()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    downgrade(database, "base")
    assert current_revision(database) is None
    assert inspect(database.engine).get_table_names() == ["alembic_version"]
    upgrade(database)
    assert "jobs" in inspect(database.engine).get_table_names()


def test_sqlite_migrations_match_models_and_reverse(tmp_path: Path) -> None:
    database = create_database(make_settings(tmp_path))
    try:
        assert_migrations_match_models(database)
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        database.dispose()
    assert oct((tmp_path / "trellis.db").stat().st_mode & 0o777) == "0o600"
