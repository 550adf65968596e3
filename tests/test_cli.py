from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trellis import __version__
from trellis.cli import app
from trellis.core.migrate import head_revision

runner = CliRunner()
HEAD = head_revision()  # the newest migration; each new one moves it


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("TRELLIS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0 and result.output.strip() == __version__


def test_doctor_on_a_fresh_machine_explains_embedded_mode(tmp_path: Path) -> None:
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "[  ok] mode: embedded (SQLite" in result.output
    assert f"data directory: {tmp_path / '.trellis'} does not exist yet" in result.output


def test_doctor_after_migrations_reports_all_ok(tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0
    assert f"[  ok] migrations: at {HEAD} (latest)" in result.output
    assert f"[  ok] database: sqlite:///{tmp_path / '.trellis' / 'trellis.db'} reachable" in result.output


def test_doctor_says_what_is_wrong_when_redis_is_down(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    port = closed_port()
    monkeypatch.setenv("TRELLIS_DATABASE_URL", f"sqlite:///{tmp_path}/shared.db")
    monkeypatch.setenv("TRELLIS_REDIS_URL", f"redis://:redispass@127.0.0.1:{port}/0")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if "redis:" in line)
    assert line.startswith("[fail] redis: cannot reach redis://[REDACTED]@127.0.0.1")
    assert "Connection refused" in line and "start Redis or fix TRELLIS_REDIS_URL" in line
    assert "redispass" not in result.output


def test_doctor_flags_an_unreachable_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_DATABASE_URL", f"postgresql://trellis:pgpass@127.0.0.1:{closed_port()}/trellis")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "[fail] database: cannot reach postgresql+psycopg://[REDACTED]@127.0.0.1" in result.output
    assert "start PostgreSQL or fix TRELLIS_DATABASE_URL" in result.output
    assert "pgpass" not in result.output


def test_invalid_setting_stops_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_PORT", "not-a-port")
    for command in (["doctor"], ["serve"], ["db", "current"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines == [
            "trellis: invalid setting TRELLIS_PORT: Input should be a valid integer, "
            "unable to parse string as an integer"
        ]


def test_db_upgrade_current_downgrade() -> None:
    assert f"behind; latest is {HEAD}" in runner.invoke(app, ["db", "current"]).output
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and f"database at revision {HEAD}" in upgraded.output
    assert runner.invoke(app, ["db", "current"]).output.strip() == f"{HEAD} (up to date)"
    downgraded = runner.invoke(app, ["db", "downgrade", "base"])
    assert downgraded.exit_code == 0 and "base (empty)" in downgraded.output


def test_worker_refuses_to_run_in_embedded_mode() -> None:
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "`trellis worker` is for distributed mode" in result.output
