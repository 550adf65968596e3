"""`trellis doctor`: what this setup is and what is wrong with it, in words a new user can act on."""

from __future__ import annotations

import shutil
import stat
from typing import Literal

from trellis.core.config import SECRETS_FILE, Mode, Settings
from trellis.core.masking import mask_text

Status = Literal["ok", "warn", "fail"]
Line = tuple[Status, str, str]


def diagnose(settings: Settings) -> tuple[list[Line], bool]:
    lines: list[Line] = [("ok", "mode", _describe_mode(settings))]
    lines += _check_data_dir(settings)
    lines += _check_database(settings)
    if settings.mode is Mode.DISTRIBUTED:
        lines += _check_redis(settings)
    if settings.otlp_endpoint:
        lines.append(_check_otlp(settings.otlp_endpoint))
    return lines, all(status != "fail" for status, _, _ in lines)


def _describe_mode(settings: Settings) -> str:
    if settings.mode is Mode.DISTRIBUTED:
        return "distributed (PostgreSQL + Redis; run `trellis worker` processes for jobs)"
    database = "PostgreSQL" if not settings.is_sqlite else "SQLite"
    return f"embedded ({database}, jobs and events in-process; set TRELLIS_REDIS_URL for distributed)"


def _check_data_dir(settings: Settings) -> list[Line]:
    data_dir = settings.data_dir.resolve()
    if not data_dir.exists():
        return [("warn", "data directory", f"{data_dir} does not exist yet; `trellis serve` creates it")]
    lines: list[Line] = []
    free_gb = shutil.disk_usage(data_dir).free / 1024**3
    lines.append(("ok" if free_gb >= 1 else "warn", "data directory", f"{data_dir} ({free_gb:.1f} GB free)"))
    secrets_path = data_dir / SECRETS_FILE
    if secrets_path.exists():
        mode = stat.S_IMODE(secrets_path.stat().st_mode)
        if mode & 0o077:
            lines.append(
                (
                    "fail",
                    "secrets file",
                    f"{secrets_path} is readable by others (mode {mode:o}); chmod 600 it",
                )
            )
        else:
            lines.append(("ok", "secrets file", f"{secrets_path} (mode {mode:o})"))
    elif settings.secret_key is None:
        lines.append(("warn", "secrets file", f"{secrets_path} not created yet; generated on first start"))
    if settings.mode is Mode.DISTRIBUTED and settings.secret_key is None:
        lines.append(
            (
                "warn",
                "secret key",
                "TRELLIS_SECRET_KEY is unset: processes on other machines will not share "
                "the generated key; set the same value everywhere",
            )
        )
    return lines


def _check_database(settings: Settings) -> list[Line]:
    from trellis.core.db import create_database
    from trellis.core.migrate import current_revision, head_revision

    where = mask_text(settings.resolved_database_url)
    if settings.database_url is None and not settings.data_dir.exists():
        return [("ok", "database", f"SQLite at {where}, created on first start")]
    try:
        database = create_database(settings)
    except Exception as exc:
        return [("fail", "database", f"cannot use {where}: {_reason(exc)}")]
    try:
        database.ping()
    except Exception as exc:
        hint = "start PostgreSQL or fix TRELLIS_DATABASE_URL" if not settings.is_sqlite else "check the data directory"
        return [("fail", "database", f"cannot reach {where}: {_reason(exc)} ({hint})")]
    try:
        current, head = current_revision(database), head_revision()
    finally:
        database.dispose()
    lines: list[Line] = [("ok", "database", f"{where} reachable")]
    if current == head:
        lines.append(("ok", "migrations", f"at {current} (latest)"))
    elif settings.should_auto_migrate:
        lines.append(
            (
                "warn",
                "migrations",
                f"at {current or 'none'}, latest {head}; applied when `trellis serve` starts",
            )
        )
    else:
        lines.append(("fail", "migrations", f"at {current or 'none'}, latest {head}; run `trellis db upgrade`"))
    return lines


def _check_redis(settings: Settings) -> list[Line]:
    assert settings.redis_url is not None
    where = mask_text(settings.redis_url)
    try:
        import redis
    except ImportError:
        return [("fail", "redis", "the redis package is missing; pip install 'trellis[distributed]'")]
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        info = client.info("server")
    except Exception as exc:
        return [("fail", "redis", f"cannot reach {where}: {_reason(exc)} (start Redis or fix TRELLIS_REDIS_URL)")]
    finally:
        client.close()
    lines: list[Line] = [("ok", "redis", f"{where} reachable (Redis {info.get('redis_version', '?')})")]
    lines.append(_check_workers(settings))
    return lines


def _check_workers(settings: Settings) -> Line:
    from trellis.core.jobs.transports import create_celery_app

    app = create_celery_app(settings)
    try:
        replies = app.control.ping(timeout=1.5) or []
    except Exception as exc:
        return ("warn", "workers", f"could not ask workers: {_reason(exc)}")
    finally:
        app.close()
    if not replies:
        return ("warn", "workers", "no `trellis worker` answered; jobs wait in the queue until one runs")
    names = sorted(name for reply in replies for name in reply)
    return ("ok", "workers", f"{len(names)} answering: {', '.join(names)}")


def _check_otlp(endpoint: str) -> Line:
    import httpx

    try:
        httpx.post(
            f"{endpoint}/v1/traces",
            content=b"",
            timeout=2,
            headers={"Content-Type": "application/x-protobuf"},
        )
    except Exception as exc:
        return ("warn", "tracing", f"OTLP collector {endpoint} unreachable: {_reason(exc)}")
    return ("ok", "tracing", f"exporting to {endpoint}")


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return mask_text(text)[:300]
