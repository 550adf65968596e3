from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from trellis.core.config import Mode, Settings, SettingsError, load_or_create_local_secrets, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("TRELLIS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_zero_configuration_is_embedded_sqlite_in_dot_trellis(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.mode is Mode.EMBEDDED
    assert settings.data_dir == Path(".trellis")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / '.trellis' / 'trellis.db'}"
    assert settings.should_auto_migrate is True
    assert settings.max_request_body_bytes == 10 * 1024 * 1024


def test_environment_variables_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TRELLIS_PORT=9123\nTRELLIS_CORS_ORIGINS=https://a.example, https://b.example\n")
    monkeypatch.setenv("TRELLIS_LOG_LEVEL", "DEBUG")
    settings = load_settings()
    assert settings.port == 9123
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.log_level == "DEBUG"


def test_both_urls_mean_distributed_and_postgres_urls_use_psycopg3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_DATABASE_URL", "postgres://u:p@db:5432/trellis")
    monkeypatch.setenv("TRELLIS_REDIS_URL", "redis://cache:6379/0")
    settings = load_settings()
    assert settings.mode is Mode.DISTRIBUTED
    assert settings.resolved_database_url == "postgresql+psycopg://u:p@db:5432/trellis"
    assert settings.should_auto_migrate is False


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TRELLIS_PORT", "eighty", "invalid setting TRELLIS_PORT: Input should be a valid integer"),
        (
            "TRELLIS_PORT",
            "70000",
            "invalid setting TRELLIS_PORT: Input should be less than or equal to 65535",
        ),
        (
            "TRELLIS_DATABASE_URL",
            "mysql://x/y",
            "invalid setting TRELLIS_DATABASE_URL: must be a postgresql:// URL",
        ),
        ("TRELLIS_REDIS_URL", "http://cache", "invalid setting TRELLIS_REDIS_URL: must start with redis://"),
        ("TRELLIS_LOG_LEVEL", "LOUD", "invalid setting TRELLIS_LOG_LEVEL: Input should be 'DEBUG', 'INFO'"),
        (
            "TRELLIS_OTLP_ENDPOINT",
            "collector:4318",
            "invalid setting TRELLIS_OTLP_ENDPOINT: must be an http://",
        ),
    ],
)
def test_invalid_settings_are_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    if variable == "TRELLIS_REDIS_URL":
        monkeypatch.setenv("TRELLIS_DATABASE_URL", "postgresql://u@db/x")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(expected)
    assert "\n" not in str(raised.value)


def test_redis_without_a_shared_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_REDIS_URL", "redis://localhost:6379/0")
    with pytest.raises(SettingsError, match="TRELLIS_DATABASE_URL is not"):
        load_settings()


def test_invalid_setting_message_never_contains_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_DATABASE_URL", "mysql://admin:Sup3rSecret@db/x")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "Sup3rSecret" not in str(raised.value)


def test_secrets_are_generated_once_owner_only(tmp_path: Path) -> None:
    first = load_or_create_local_secrets(tmp_path / "data")
    path = tmp_path / "data" / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert len(first["secret_key"]) >= 48
    assert load_or_create_local_secrets(tmp_path / "data") == first
    assert json.loads(path.read_text()) == first


def test_configured_secret_key_wins_over_the_generated_one(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="configured-key-" + "x" * 32)  # type: ignore[call-arg]
    assert settings.signing_key == "configured-key-" + "x" * 32
    assert not (tmp_path / "secrets.json").exists()


def test_production_distributed_mode_needs_an_explicit_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_ENV", "production")
    monkeypatch.setenv("TRELLIS_DATABASE_URL", "postgresql://u@db/x")
    monkeypatch.setenv("TRELLIS_REDIS_URL", "redis://cache:6379/0")
    with pytest.raises(SettingsError, match="TRELLIS_SECRET_KEY must be set"):
        load_settings()
    monkeypatch.setenv("TRELLIS_SECRET_KEY", "k" * 40)
    assert load_settings().signing_key == "k" * 40


def test_short_secret_keys_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_SECRET_KEY", "too-short")
    with pytest.raises(SettingsError, match="invalid setting TRELLIS_SECRET_KEY: must be at least 32 characters"):
        load_settings()
