"""Master key rotation: the registry of encrypted columns, re-wrapping data keys, `trellis keys ...`.

A domain that stores a sealed secret registers its column once, next to its model:

    register_encrypted_column(Credential, "sealed_value")

Rotation then finds every sealed value through this registry. It re-wraps only the data key of
each value (unwrap with the old master key, wrap with the new one, in memory); the nonce and the
ciphertext are copied byte for byte, and the secret itself is never decrypted.

Rotation of the local key file, crash-safe and re-runnable:
1. add a fresh master key to `master_keys.json`, make it current, and note in the file which keys
   are being rotated away from (a re-run after a crash sees the note and resumes instead);
2. re-wrap every row not yet under the current key, in batches, each batch its own committed
   transaction (a row changed meanwhile by someone else is left to the next pass);
3. repeat until a pass finds nothing left, then drop from the file every old key no row references.
Old keys stay in the file until step 3, so every process keeps reading every row throughout.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Column, Table, func, inspect, select, update

from trellis.core.config import Settings
from trellis.core.crypto import FORMAT_VERSION, KeyProvider, KeyProviderError, SecretError, rewrap_secret, sealed_prefix
from trellis.core.db import Base, Database
from trellis.core.key_providers import LocalKeyProvider, key_provider_for

log = structlog.get_logger("trellis.keys")

MALFORMED = "(not a sealed value)"


@dataclass(frozen=True)
class EncryptedColumn:
    table: Table
    column: Column[Any]
    primary_key: Column[Any]

    @property
    def label(self) -> str:
        return f"{self.table.name}.{self.column.name}"


_registry: dict[str, EncryptedColumn] = {}


def register_encrypted_column(model: type[Base], column_name: str) -> None:
    """Declare that `model.<column_name>` holds values sealed by `trellis.core.crypto.seal_secret`."""
    table = model.__table__
    assert isinstance(table, Table)
    if column_name not in table.c:
        raise ValueError(f"{table.name} has no column {column_name}")
    primary_key = list(table.primary_key.columns)
    if len(primary_key) != 1:
        raise ValueError(f"{table.name}: encrypted columns need a table with a single-column primary key")
    entry = EncryptedColumn(table=table, column=table.c[column_name], primary_key=primary_key[0])
    _registry[entry.label] = entry


def encrypted_columns() -> list[EncryptedColumn]:
    """Every registered column, after importing every domain's models so all have registered."""
    from trellis.core.models_registry import import_all_models

    import_all_models()
    return [_registry[label] for label in sorted(_registry)]


def _present_columns(database: Database) -> list[EncryptedColumn]:
    # A database migrated to an older revision lacks some tables; nothing can be sealed in those.
    inspector = inspect(database.engine)
    return [entry for entry in encrypted_columns() if inspector.has_table(entry.table.name)]


def _key_id_of(prefix: str | None) -> str:
    parts = (prefix or "").split(":")
    return parts[1] if len(parts) >= 3 and parts[0] == FORMAT_VERSION else MALFORMED


def key_usage(database: Database) -> dict[str, dict[str, int]]:
    """Rows per master key id, per encrypted column: {"credentials.sealed_value": {"1a2b3c4d": 12}}."""
    usage: dict[str, dict[str, int]] = {}
    with database.read_session_factory() as session:
        for entry in _present_columns(database):
            counts: dict[str, int] = defaultdict(int)
            prefix = func.substr(entry.column, 1, 80)
            rows = session.execute(select(prefix, func.count()).where(entry.column.is_not(None)).group_by(prefix)).all()
            for value, count in rows:
                counts[_key_id_of(value)] += int(count)
            usage[entry.label] = dict(counts)
    return usage


def rows_per_key(usage: dict[str, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for counts in usage.values():
        for key_id, count in counts.items():
            totals[key_id] += count
    return dict(totals)


@dataclass
class UnreadableRow:
    column: str
    row_id: str
    reason: str


@dataclass
class RewrapReport:
    target_key_id: str
    rewrapped: dict[str, int] = field(default_factory=dict)
    unreadable: list[UnreadableRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rewrapped.values())


def rewrap_all(
    database: Database,
    provider: KeyProvider,
    *,
    batch_size: int = 500,
    wait_seconds: float = 60.0,
    on_batch: Callable[[str, int], None] | None = None,
) -> RewrapReport:
    """Re-wrap every registered sealed value not yet under the provider's current key.

    First in batches that skip rows other transactions hold locked; then those rows one at a
    time, waiting for each lock while holding no other, so rotation can never deadlock with the
    application. Passes repeat (a process that still used the old key may have written more)
    until nothing re-wrappable is left or `wait_seconds` have passed; the caller sees what is
    left in the key usage and keeps the old keys.
    """
    target = provider.current_key_id()
    report = RewrapReport(target_key_id=target)
    columns = _present_columns(database)
    deadline = time.monotonic() + wait_seconds
    size, skip_locked = batch_size, True
    while True:
        unreadable: list[UnreadableRow] = []
        for entry in columns:
            done = _rewrap_column(database, provider, entry, target, size, skip_locked, unreadable, on_batch)
            report.rewrapped[entry.label] = report.rewrapped.get(entry.label, 0) + done
        report.unreadable = unreadable
        remaining = sum(_count_not_under(database, entry, target) for entry in columns)
        if remaining <= len(unreadable) or time.monotonic() >= deadline:
            return report
        size, skip_locked = 1, False


def _count_not_under(database: Database, entry: EncryptedColumn, key_id: str) -> int:
    with database.read_session_factory() as session:
        query = select(func.count()).where(
            entry.column.is_not(None), ~entry.column.startswith(sealed_prefix(key_id), autoescape=True)
        )
        return int(session.scalar(query) or 0)


def _rewrap_column(
    database: Database,
    provider: KeyProvider,
    entry: EncryptedColumn,
    target: str,
    batch_size: int,
    skip_locked: bool,
    unreadable: list[UnreadableRow],
    on_batch: Callable[[str, int], None] | None,
) -> int:
    pk, column = entry.primary_key, entry.column
    # Rotation changes no record's content: keep `updated_at` and the like as they are.
    untouched = {c.name: c for c in entry.table.c if c.onupdate is not None and c.name != column.name}
    done = 0
    last: Any = None
    while True:
        with database.session_factory() as session:
            query = (
                select(pk, column)
                .where(column.is_not(None), ~column.startswith(sealed_prefix(target), autoescape=True))
                .order_by(pk)
                .limit(batch_size)
                # PostgreSQL: lock the rows up front. Batches skip rows others hold, so rotation never waits
                # while holding locks; single rows wait. Either way no deadlock. SQLite: no-op (one writer).
                .with_for_update(skip_locked=skip_locked)
            )
            if last is not None:
                query = query.where(pk > last)
            rows = session.execute(query).all()
            if not rows:
                return done
            changed = 0
            for row_id, sealed in rows:
                try:
                    rewrapped = rewrap_secret(
                        sealed, provider=provider, key_id=target, context=f"{entry.label}:{row_id}"
                    )
                except SecretError as exc:
                    unreadable.append(UnreadableRow(entry.label, str(row_id), exc.message))
                    continue
                # Only if the row still holds what was read: a concurrent update wins, the next pass re-checks it.
                result = session.execute(
                    update(entry.table)
                    .where(pk == row_id, column == sealed)
                    .values({column.name: rewrapped, **untouched})
                )
                changed += result.rowcount  # type: ignore[attr-defined]
            session.commit()
        done += changed
        last = rows[-1][0]
        log.debug("key_rotation_batch", column=entry.label, rewrapped=changed, key_id=target)
        if on_batch is not None:
            on_batch(entry.label, changed)


@dataclass
class RotationResult:
    current_key_id: str
    new_key: bool
    resumed: bool
    rewrap: RewrapReport
    retired: list[str] = field(default_factory=list)
    # Old keys rows still name (only when some rows could not be re-wrapped).
    still_referenced: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.rewrap.unreadable and not self.still_referenced


class ExternallyManagedKey(KeyProviderError):
    status_code = 409
    code = "master_key_managed_externally"


MANAGED_KEY_HELP = (
    "The master key comes from TRELLIS_MASTER_KEY, so Trellis cannot replace it itself. To rotate:\n"
    "  1. generate a new key:  openssl rand -base64 32\n"
    "  2. in every process, set TRELLIS_MASTER_KEY to the new key and TRELLIS_MASTER_KEY_PREVIOUS to the old one,\n"
    "     and restart them (both keys are read; new secrets use the new one);\n"
    "  3. run:  trellis keys rotate --rewrap-only\n"
    "  4. when it reports that no secret needs the old key, remove TRELLIS_MASTER_KEY_PREVIOUS."
)


def rotate_master_key(
    settings: Settings,
    database: Database,
    *,
    rewrap_only: bool = False,
    batch_size: int = 500,
    on_batch: Callable[[str, int], None] | None = None,
) -> RotationResult:
    """`trellis keys rotate`: a new local master key, every data key re-wrapped, the old key retired.

    With `rewrap_only`, no new key: every data key is re-wrapped under the current key (the way to
    finish an externally managed rotation, or an interrupted one).
    """
    provider = key_provider_for(settings)
    if not isinstance(provider, LocalKeyProvider) or provider.managed_externally:
        if not rewrap_only:
            if isinstance(provider, LocalKeyProvider):
                raise ExternallyManagedKey(MANAGED_KEY_HELP)
            raise ExternallyManagedKey(
                f"master keys are held by the {provider.name} key provider: rotate the key there, "
                "then run `trellis keys rotate --rewrap-only`"
            )
        return _rewrap_managed(settings, database, provider, batch_size=batch_size, on_batch=on_batch)

    with provider.exclusive():
        resumed = bool(provider.rotation_in_progress())
        new_key = not resumed and not rewrap_only
        if new_key:
            previous = provider.current_key_id()
            current = provider.begin_rotation()
            log.info("key_rotation_started", previous_key_id=previous, key_id=current)
        elif resumed:
            log.info("key_rotation_resumed", key_id=provider.current_key_id())
        report = rewrap_all(database, provider, batch_size=batch_size, on_batch=on_batch)
        current = report.target_key_id
        usage = rows_per_key(key_usage(database))
        old_keys = [key_id for key_id in provider.key_ids() if key_id != current]
        still = {key_id: usage[key_id] for key_id in old_keys if usage.get(key_id)}
        result = RotationResult(
            current_key_id=current, new_key=new_key, resumed=resumed, rewrap=report, still_referenced=still
        )
        if report.unreadable or still:
            # Keep every key and the in-progress note: a re-run after the cause is fixed resumes here.
            log.warning("key_rotation_incomplete", key_id=current, unreadable=len(report.unreadable))
            return result
        result.retired = old_keys
        provider.finish_rotation(old_keys)
        log.info("key_rotation_finished", key_id=current, rewrapped=report.total, retired=old_keys)
        return result


def _rewrap_managed(
    settings: Settings,
    database: Database,
    provider: KeyProvider,
    *,
    batch_size: int,
    on_batch: Callable[[str, int], None] | None,
) -> RotationResult:
    report = rewrap_all(database, provider, batch_size=batch_size, on_batch=on_batch)
    current = report.target_key_id
    usage = rows_per_key(key_usage(database))
    still = {key_id: count for key_id, count in usage.items() if key_id != current}
    result = RotationResult(current_key_id=current, new_key=False, resumed=False, rewrap=report, still_referenced=still)
    if result.complete and isinstance(provider, LocalKeyProvider):
        if settings.master_key_previous is not None:
            result.notes.append("No stored secret needs TRELLIS_MASTER_KEY_PREVIOUS any more: remove it.")
        if provider.path.exists():
            result.notes.append(f"No stored secret needs the keys in {provider.path} any more: it can be deleted.")
    log.info("key_rewrap_finished", key_id=current, rewrapped=report.total, complete=result.complete)
    return result


@dataclass
class KeyStatus:
    provider: str
    current_key_id: str | None  # None: no key yet (the key file is created when the first secret is stored)
    managed_externally: bool
    known_key_ids: list[str]
    rotation_in_progress: bool
    usage: dict[str, dict[str, int]]

    @property
    def rows_per_key(self) -> dict[str, int]:
        return rows_per_key(self.usage)


def key_status(settings: Settings, database: Database) -> KeyStatus:
    """What `trellis keys status` reports. Creates nothing: a fresh installation shows no key yet."""
    provider = key_provider_for(settings)
    usage = key_usage(database)
    if not isinstance(provider, LocalKeyProvider):
        current = provider.current_key_id()
        return KeyStatus(provider.name, current, True, [current], False, usage)
    if not provider.managed_externally and not provider.path.exists():
        return KeyStatus(provider.name, None, False, [], False, usage)
    return KeyStatus(
        provider=provider.name,
        current_key_id=provider.current_key_id(),
        managed_externally=provider.managed_externally,
        known_key_ids=provider.key_ids(),
        rotation_in_progress=bool(provider.rotation_in_progress()),
        usage=usage,
    )


def describe_status(status: KeyStatus) -> list[str]:
    """`trellis keys status` output."""
    source = "managed outside Trellis" if status.managed_externally else "key file in the data directory"
    lines = [
        f"key provider: {status.provider} ({source})",
        f"current key: {status.current_key_id or 'none yet (created when the first secret is stored)'}",
        f"readable keys: {', '.join(status.known_key_ids) or 'none'}",
    ]
    if status.rotation_in_progress:
        lines.append("rotation: unfinished; run `trellis keys rotate` to complete it")
    totals = status.rows_per_key
    if not totals:
        lines.append("stored secrets: none")
    for key_id, count in sorted(totals.items(), key=lambda item: (item[0] != status.current_key_id, item[0])):
        marker = " (current)" if key_id == status.current_key_id else ""
        if key_id not in status.known_key_ids and key_id != MALFORMED:
            marker = " (not held by the key provider: unreadable)"
        lines.append(f"stored secrets under {key_id}{marker}: {count}")
    for label, counts in status.usage.items():
        detail = ", ".join(f"{key_id}: {count}" for key_id, count in sorted(counts.items())) or "none"
        lines.append(f"  {label}: {detail}")
    return lines


def describe_rotation(result: RotationResult) -> list[str]:
    """`trellis keys rotate` output."""
    lines: list[str] = []
    if result.new_key:
        lines.append(f"new master key {result.current_key_id} is current")
    elif result.resumed:
        lines.append(f"resumed the unfinished rotation to master key {result.current_key_id}")
    else:
        lines.append(f"current master key: {result.current_key_id}")
    lines.append(f"re-wrapped {result.rewrap.total} stored secret(s) under {result.current_key_id}")
    for row in result.rewrap.unreadable[:20]:
        lines.append(f"  cannot re-wrap {row.column} row {row.row_id}: {row.reason}")
    if len(result.rewrap.unreadable) > 20:
        lines.append(f"  ... and {len(result.rewrap.unreadable) - 20} more")
    for key_id, count in sorted(result.still_referenced.items()):
        lines.append(f"{count} stored secret(s) still name key {key_id}")
    if result.retired:
        lines.append(f"retired old master key(s): {', '.join(result.retired)}")
    if result.rewrap.unreadable:
        lines.append(
            "rotation not complete: old keys are kept. Delete or re-enter the records above that cannot be "
            "read, then run the command again to finish."
        )
    elif not result.complete:
        lines.append(
            "rotation not complete: some records stayed locked by other transactions; old keys are kept. "
            "Run the command again to finish."
        )
    lines.extend(result.notes)
    return lines
