from __future__ import annotations

import base64
import hashlib
import json
import stat
import threading
from pathlib import Path

import pytest

from tests.conftest import make_settings
from trellis.core.config import SettingsError, load_settings
from trellis.core.crypto import (
    FULLY_MASKED,
    KeyProviderError,
    MalformedSealedValue,
    SealedValue,
    SecretDecryptionError,
    UnknownKeyError,
    mask_secret,
    open_secret,
    rewrap_secret,
    seal_secret,
    sealed_key_id,
)
from trellis.core.key_providers import LocalKeyProvider, key_fingerprint, key_provider_for, register_key_provider

TOKEN = "ghp_1234567890abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def provider(tmp_path: Path) -> LocalKeyProvider:
    return LocalKeyProvider.from_file(tmp_path / "data")


def test_round_trip(provider: LocalKeyProvider) -> None:
    sealed = seal_secret(TOKEN, context="credential:1", provider=provider)
    assert open_secret(sealed, context="credential:1", provider=provider) == TOKEN
    assert TOKEN not in sealed
    assert open_secret(seal_secret("ünïcødé ✓", context="c", provider=provider), context="c", provider=provider) == (
        "ünïcødé ✓"
    )


def test_format_names_the_key_and_carries_a_wrapped_data_key(provider: LocalKeyProvider) -> None:
    sealed = seal_secret(TOKEN, context="credential:1", provider=provider)
    version, key_id, wrapped, nonce, ciphertext = sealed.split(":")
    assert version == "v1"
    assert key_id == provider.current_key_id() == sealed_key_id(sealed)
    decode = lambda part: base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))  # noqa: E731
    assert len(decode(wrapped)) == 40  # RFC 3394 wrap of a 32-byte key
    assert len(decode(nonce)) == 12
    assert len(decode(ciphertext)) == len(TOKEN.encode()) + 16  # GCM tag


def test_each_encryption_uses_a_new_data_key_and_nonce(provider: LocalKeyProvider) -> None:
    first = SealedValue.parse(seal_secret(TOKEN, context="c", provider=provider))
    second = SealedValue.parse(seal_secret(TOKEN, context="c", provider=provider))
    assert first.wrapped_key != second.wrapped_key
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext
    assert provider.unwrap_data_key(first.key_id, first.wrapped_key) != provider.unwrap_data_key(
        second.key_id, second.wrapped_key
    )


def test_wrong_context_does_not_open(provider: LocalKeyProvider) -> None:
    sealed = seal_secret(TOKEN, context="credential:1", provider=provider)
    with pytest.raises(SecretDecryptionError) as caught:
        open_secret(sealed, context="credential:2", provider=provider)
    assert "credential:2" in caught.value.message
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("part", [2, 3, 4])
def test_tampering_with_any_part_is_detected(provider: LocalKeyProvider, part: int) -> None:
    sealed = seal_secret(TOKEN, context="c", provider=provider)
    parts = sealed.split(":")
    raw = bytearray(base64.urlsafe_b64decode(parts[part] + "=" * (-len(parts[part]) % 4)))
    raw[len(raw) // 2] ^= 0x01
    parts[part] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(SecretDecryptionError) as caught:
        open_secret(":".join(parts), context="c", provider=provider)
    assert TOKEN not in str(caught.value)


def test_garbage_is_reported_as_malformed_not_as_a_crash(provider: LocalKeyProvider) -> None:
    for value in ["", "plaintext-token", "v1:abc", "v2:k:a:b:c", "v1:k:!!:b:c"]:
        with pytest.raises(MalformedSealedValue, match=r"\(credential:9\)"):
            open_secret(value, context="credential:9", provider=provider)
    # A wrapped key cut short is a failed decryption, not an unexpected ValueError.
    version, key_id, wrapped, nonce, ciphertext = seal_secret(TOKEN, context="c", provider=provider).split(":")
    with pytest.raises(SecretDecryptionError, match=key_id):
        open_secret(":".join([version, key_id, wrapped[:10], nonce, ciphertext]), context="c", provider=provider)


def test_key_file_is_private_and_created_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    providers = [LocalKeyProvider.from_file(data_dir) for _ in range(8)]
    ids: list[str] = []
    threads = [threading.Thread(target=lambda p=p: ids.append(p.current_key_id())) for p in providers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    path = data_dir / "master_keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document["current"] == ids[0]
    key = base64.b64decode(document["keys"][ids[0]]["key"])
    assert len(key) == 32 and key_fingerprint(key) == ids[0]
    assert [p.name for p in data_dir.iterdir()] == ["master_keys.json"]  # no temporary files left


def test_secret_sealed_under_a_old_key_opens_after_rotation_and_rewraps_to_the_new_one(
    provider: LocalKeyProvider,
) -> None:
    old_key = provider.current_key_id()
    sealed = seal_secret(TOKEN, context="credential:1", provider=provider)
    new_key = provider.begin_rotation()
    assert new_key != old_key and provider.current_key_id() == new_key
    assert provider.rotation_in_progress() == [old_key]
    assert open_secret(sealed, context="credential:1", provider=provider) == TOKEN

    rewrapped = rewrap_secret(sealed, provider=provider)
    assert sealed_key_id(rewrapped) == new_key
    before, after = SealedValue.parse(sealed), SealedValue.parse(rewrapped)
    assert (after.nonce, after.ciphertext) == (before.nonce, before.ciphertext)  # the secret was not re-encrypted
    assert rewrap_secret(rewrapped, provider=provider) == rewrapped

    provider.finish_rotation([old_key])
    assert provider.key_ids() == [new_key]
    assert provider.rotation_in_progress() == []
    assert open_secret(rewrapped, context="credential:1", provider=provider) == TOKEN
    with pytest.raises(UnknownKeyError, match=old_key):
        open_secret(sealed, context="credential:1", provider=provider)


def test_a_second_process_sees_a_rotation_through_the_file(tmp_path: Path) -> None:
    rotating, reading = LocalKeyProvider.from_file(tmp_path), LocalKeyProvider.from_file(tmp_path)
    sealed = seal_secret(TOKEN, context="c", provider=reading)
    new_key = rotating.begin_rotation()
    rewrapped = rewrap_secret(sealed, provider=rotating)
    assert open_secret(rewrapped, context="c", provider=reading) == TOKEN
    assert open_secret(sealed, context="c", provider=reading) == TOKEN
    assert sealed_key_id(seal_secret(TOKEN, context="c", provider=reading)) == new_key


def test_master_key_setting(tmp_path: Path) -> None:
    raw = bytes(range(32))
    encoded = base64.b64encode(raw).decode()
    settings = make_settings(tmp_path, master_key=encoded)
    provider = key_provider_for(settings)
    assert isinstance(provider, LocalKeyProvider) and provider.managed_externally
    assert provider.current_key_id() == hashlib.sha256(raw).hexdigest()[:8]
    sealed = seal_secret(TOKEN, context="c", provider=provider)
    assert sealed_key_id(sealed) == hashlib.sha256(raw).hexdigest()[:8]
    assert not (tmp_path / "master_keys.json").exists()
    # Another process with the same setting reads it.
    other = LocalKeyProvider.from_master_key(tmp_path / "elsewhere", raw)
    assert open_secret(sealed, context="c", provider=other) == TOKEN
    with pytest.raises(KeyProviderError, match="TRELLIS_MASTER_KEY"):
        provider.begin_rotation()


def test_previous_master_key_stays_readable(tmp_path: Path) -> None:
    old, new = bytes(32), bytes(range(1, 33))
    sealed = seal_secret(TOKEN, context="c", provider=LocalKeyProvider.from_master_key(tmp_path, old))
    during = LocalKeyProvider.from_master_key(tmp_path, new, previous=old)
    assert open_secret(sealed, context="c", provider=during) == TOKEN
    assert sealed_key_id(rewrap_secret(sealed, provider=during)) == key_fingerprint(new)
    with pytest.raises(UnknownKeyError, match=key_fingerprint(old)):
        open_secret(sealed, context="c", provider=LocalKeyProvider.from_master_key(tmp_path, new))


def test_master_key_settings_are_validated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRELLIS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRELLIS_MASTER_KEY", "not base64!")
    with pytest.raises(SettingsError, match="TRELLIS_MASTER_KEY: must be base64"):
        load_settings(_env_file=None)
    monkeypatch.setenv("TRELLIS_MASTER_KEY", base64.b64encode(b"short").decode())
    with pytest.raises(SettingsError, match="must decode to 32 bytes, got 5"):
        load_settings(_env_file=None)
    monkeypatch.setenv("TRELLIS_MASTER_KEY", base64.b64encode(bytes(32)).decode())
    assert load_settings(_env_file=None).master_key is not None
    monkeypatch.delenv("TRELLIS_MASTER_KEY")
    monkeypatch.setenv("TRELLIS_MASTER_KEY_PREVIOUS", base64.b64encode(bytes(32)).decode())
    with pytest.raises(SettingsError, match="TRELLIS_MASTER_KEY_PREVIOUS is set but TRELLIS_MASTER_KEY is not"):
        load_settings(_env_file=None)


def test_key_provider_setting_selects_a_registered_adapter(tmp_path: Path) -> None:
    with pytest.raises(KeyProviderError, match="'vault' is not a known key provider"):
        key_provider_for(make_settings(tmp_path, key_provider="vault"))
    stand_in = LocalKeyProvider.from_master_key(tmp_path, bytes(32))
    register_key_provider("vault", lambda _settings: stand_in)
    assert key_provider_for(make_settings(tmp_path / "other", key_provider="vault")) is stand_in


def test_mask_secret() -> None:
    assert mask_secret("ghp_1234567890abcdef") == "ghp_...cdef"  # seed 001's example
    assert mask_secret(TOKEN) == "ghp_...wxyz"
    assert mask_secret("sk-proj-abcdefghijklmnop") == "sk-p...mnop"
    assert mask_secret("abc") == FULLY_MASKED == "***"
    assert mask_secret("") == "***"
    # Too short to show 8 characters and still hide 8: nothing is shown.
    assert mask_secret("hunter2hunter2!") == "***"
    assert mask_secret("0123456789abcdef") == "0123...cdef"


def test_operations_are_counted_by_key_id(provider: LocalKeyProvider) -> None:
    from prometheus_client import REGISTRY

    key_id = provider.current_key_id()

    def count(operation: str, outcome: str) -> float:
        labels = {"operation": operation, "key_id": key_id, "outcome": outcome}
        return REGISTRY.get_sample_value("encryption_operations_total", labels) or 0.0

    before = {(op, outcome): count(op, outcome) for op in ("seal", "open") for outcome in ("ok", "error")}
    sealed = seal_secret(TOKEN, context="c", provider=provider)
    open_secret(sealed, context="c", provider=provider)
    with pytest.raises(SecretDecryptionError):
        open_secret(sealed, context="other", provider=provider)
    assert count("seal", "ok") == before["seal", "ok"] + 1
    assert count("open", "ok") == before["open", "ok"] + 1
    assert count("open", "error") == before["open", "error"] + 1
