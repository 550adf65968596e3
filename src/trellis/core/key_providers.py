"""Key providers: where master keys live, and which one this process uses.

`LocalKeyProvider` holds keys given in settings (`TRELLIS_MASTER_KEY`, `TRELLIS_MASTER_KEY_PREVIOUS`)
or kept in `<data_dir>/master_keys.json`; `key_provider_for(settings)` picks the provider that
`TRELLIS_KEY_PROVIDER` names. A cloud KMS adapter implements `trellis.core.crypto.KeyProvider`
and registers itself with `register_key_provider`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from trellis.core.crypto import KEY_BYTES, KeyProvider, KeyProviderError, SecretDecryptionError, UnknownKeyError

if TYPE_CHECKING:
    from trellis.core.config import Settings

MASTER_KEYS_FILE = "master_keys.json"


def key_fingerprint(master_key: bytes) -> str:
    """Key id of a local master key: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(master_key).hexdigest()[:8]


def decode_master_key(encoded: str, *, setting: str = "TRELLIS_MASTER_KEY") -> bytes:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProviderError(f"{setting} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyProviderError(f"{setting} must decode to {KEY_BYTES} bytes")
    return raw


def generate_master_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


@dataclass
class _KeyFileState:
    current: str
    keys: dict[str, bytes] = field(repr=False)  # never in a repr, a log line or a traceback
    created: dict[str, str] = field(default_factory=dict)
    # Key ids being rotated away from; present only while a rotation is unfinished (crash-safe resume).
    rotating_from: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        document = {
            "format": 1,
            "current": self.current,
            "keys": {
                key_id: {"key": base64.b64encode(key).decode("ascii"), "created_at": self.created.get(key_id, "")}
                for key_id, key in self.keys.items()
            },
            "rotating_from": self.rotating_from,
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, path: Path) -> _KeyFileState:
        try:
            document = json.loads(text)
            keys = {key_id: base64.b64decode(entry["key"], validate=True) for key_id, entry in document["keys"].items()}
            created = {key_id: str(entry.get("created_at", "")) for key_id, entry in document["keys"].items()}
            state = cls(
                current=str(document["current"]),
                keys=keys,
                created=created,
                rotating_from=[str(k) for k in document.get("rotating_from", [])],
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyProviderError(f"{path} is not a valid master key file") from None
        if state.current not in state.keys or any(len(key) != KEY_BYTES for key in state.keys.values()):
            raise KeyProviderError(f"{path} is not a valid master key file")
        return state


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class LocalKeyProvider:
    """Master keys held by this installation: from settings (`TRELLIS_MASTER_KEY`) or from a key file.

    File mode: `<data_dir>/master_keys.json`, mode 0600, created on first use with one random key.
    The file is re-read whenever it changes on disk, so a process keeps working while another one
    rotates (the rotation keeps old keys in the file until no row references them).

    Settings mode: the current key is TRELLIS_MASTER_KEY, TRELLIS_MASTER_KEY_PREVIOUS is also
    readable, and keys of an existing master key file are readable too, so moving an
    installation from a generated key file to a managed key is `trellis keys rotate --rewrap-only`.
    """

    name = "local"

    def __init__(self, *, path: Path, fixed_keys: Mapping[str, bytes] | None = None, fixed_current: str | None = None):
        self.path = path
        self._fixed_keys = dict(fixed_keys or {})
        self._fixed_current = fixed_current
        self._state: _KeyFileState | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_file(cls, data_dir: Path) -> LocalKeyProvider:
        return cls(path=data_dir / MASTER_KEYS_FILE)

    @classmethod
    def from_master_key(cls, data_dir: Path, master_key: bytes, previous: bytes | None = None) -> LocalKeyProvider:
        keys = {key_fingerprint(master_key): master_key}
        if previous is not None:
            keys.setdefault(key_fingerprint(previous), previous)
        return cls(path=data_dir / MASTER_KEYS_FILE, fixed_keys=keys, fixed_current=key_fingerprint(master_key))

    @property
    def managed_externally(self) -> bool:
        """True when the current key comes from settings: rotation then means changing the setting."""
        return self._fixed_current is not None

    # KeyProvider

    def current_key_id(self) -> str:
        if self._fixed_current is not None:
            return self._fixed_current
        state = self._load(create=True)
        assert state is not None
        return state.current

    def wrap_data_key(self, key_id: str, data_key: bytes) -> bytes:
        return aes_key_wrap(self._key(key_id), data_key)

    def unwrap_data_key(self, key_id: str, wrapped: bytes) -> bytes:
        try:
            return aes_key_unwrap(self._key(key_id), wrapped)
        except (InvalidUnwrap, ValueError):  # ValueError: not even the length of a wrapped key
            raise SecretDecryptionError(f"the data key does not unwrap with master key {key_id}") from None

    # key management

    def key_ids(self) -> list[str]:
        """Every key this provider can unwrap with, current first."""
        ids = [self.current_key_id()]
        ids += [key_id for key_id in self._all_keys() if key_id not in ids]
        return ids

    def _all_keys(self) -> dict[str, bytes]:
        keys: dict[str, bytes] = {}
        state = self._load(create=not self.managed_externally)
        if state is not None:
            keys.update(state.keys)
        keys.update(self._fixed_keys)
        return keys

    def _key(self, key_id: str) -> bytes:
        key = self._fixed_keys.get(key_id)
        if key is not None:
            return key
        state = self._load(create=not self.managed_externally)
        if state is not None and key_id in state.keys:
            return state.keys[key_id]
        # No file path here: the message may travel further than the operator's terminal.
        raise UnknownKeyError(f"master key {key_id} is not held by the local key provider (see `trellis keys status`)")

    def _load(self, *, create: bool) -> _KeyFileState | None:
        with self._lock:
            try:
                info = self.path.stat()
            except FileNotFoundError:
                if not create:
                    self._state, self._stamp = None, None
                    return None
                self._create()
                info = self.path.stat()
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
            if self._state is None or stamp != self._stamp:
                self._state = _KeyFileState.from_json(self.path.read_text(encoding="utf-8"), self.path)
                self._stamp = stamp
            return self._state

    def _create(self) -> None:
        key = generate_master_key()
        key_id = key_fingerprint(key)
        state = _KeyFileState(current=key_id, keys={key_id: key}, created={key_id: _now_text()})
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Written whole to a private temporary file, then linked into place: os.link fails if the
        # file exists, so two processes starting at once agree on one key, and no reader ever
        # sees a half-written file.
        temporary = self._write_temporary(state)
        try:
            os.link(temporary, self.path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)

    def _write_temporary(self, state: _KeyFileState) -> Path:
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(state.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        return temporary

    def _replace(self, state: _KeyFileState) -> None:
        temporary = self._write_temporary(state)
        os.replace(temporary, self.path)
        with contextlib.suppress(OSError):  # directory fsync: not possible everywhere
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        with self._lock:
            self._state, self._stamp = None, None

    # rotation of the key file (settings-managed keys are rotated by changing the settings)

    def _require_file_mode(self) -> _KeyFileState:
        if self.managed_externally:
            raise KeyProviderError("the master key comes from TRELLIS_MASTER_KEY; rotate it by changing that setting")
        state = self._load(create=True)
        assert state is not None
        return state

    def rotation_in_progress(self) -> list[str]:
        """Key ids an unfinished rotation is moving away from (empty when none is under way)."""
        if self.managed_externally:
            return []
        return list(self._require_file_mode().rotating_from)

    def begin_rotation(self) -> str:
        """Add a fresh master key and make it current; old keys stay readable. Returns the new key id."""
        state = self._require_file_mode()
        key = generate_master_key()
        while key_fingerprint(key) in state.keys:  # a 32-bit id collision: draw again
            key = generate_master_key()
        key_id = key_fingerprint(key)
        updated = _KeyFileState(
            current=key_id,
            keys={**state.keys, key_id: key},
            created={**state.created, key_id: _now_text()},
            rotating_from=sorted(set(state.rotating_from) | (set(state.keys) - {key_id})),
        )
        self._replace(updated)
        return key_id

    def finish_rotation(self, retire: list[str]) -> None:
        """Drop the given (non-current) keys from the file and mark the rotation finished."""
        state = self._require_file_mode()
        if state.current in retire:
            raise KeyProviderError(f"master key {state.current} is current and cannot be retired")
        updated = _KeyFileState(
            current=state.current,
            keys={key_id: key for key_id, key in state.keys.items() if key_id not in retire},
            created={key_id: created for key_id, created in state.created.items() if key_id not in retire},
            rotating_from=[],
        )
        self._replace(updated)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold an OS lock so two rotations never run at once; released by the OS if the process dies."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, stat.S_IRUSR | stat.S_IWUSR)
        try:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - not POSIX
                yield
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise KeyProviderError(f"another key rotation holds {lock_path}; wait for it to finish") from None
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


# --- provider selection -------------------------------------------------------------------------------------

KeyProviderFactory = Callable[["Settings"], KeyProvider]


def _local_provider(settings: Settings) -> KeyProvider:
    if settings.master_key is None:
        return LocalKeyProvider.from_file(settings.data_dir)
    previous = settings.master_key_previous
    return LocalKeyProvider.from_master_key(
        settings.data_dir,
        decode_master_key(settings.master_key.get_secret_value()),
        decode_master_key(previous.get_secret_value(), setting="TRELLIS_MASTER_KEY_PREVIOUS") if previous else None,
    )


_FACTORIES: dict[str, KeyProviderFactory] = {"local": _local_provider}
_providers: dict[tuple[str, ...], KeyProvider] = {}
_providers_lock = threading.Lock()


def register_key_provider(name: str, factory: KeyProviderFactory) -> None:
    """Make a key provider (e.g. a cloud KMS adapter) selectable with TRELLIS_KEY_PROVIDER=<name>."""
    _FACTORIES[name] = factory


def key_provider_for(settings: Settings) -> KeyProvider:
    """The provider the settings select, one instance per configuration in this process."""
    factory = _FACTORIES.get(settings.key_provider)
    if factory is None:
        known = ", ".join(sorted(_FACTORIES))
        raise KeyProviderError(f"TRELLIS_KEY_PROVIDER={settings.key_provider!r} is not a known key provider ({known})")
    fingerprints = tuple(
        key_fingerprint(secret.get_secret_value().encode()) if secret is not None else ""
        for secret in (settings.master_key, settings.master_key_previous)
    )
    cache_key = (settings.key_provider, str(settings.data_dir.resolve()), *fingerprints)
    with _providers_lock:
        provider = _providers.get(cache_key)
        if provider is None:
            provider = _providers[cache_key] = factory(settings)
        return provider


def current_key_provider() -> KeyProvider:
    """The key provider of this process's runtime (the API server, a worker, the CLI)."""
    from trellis.core.runtime import current_runtime

    return key_provider_for(current_runtime().settings)
