"""`trellis keys rotate` / `trellis keys status` on a real (SQLite) database full of stored credentials."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from tests.conftest import make_settings
from trellis.auth import service as auth_service
from trellis.cli import app
from trellis.core.config import Settings
from trellis.core.crypto import KeyProvider, rewrap_secret, sealed_key_id
from trellis.core.db import Database, create_database
from trellis.core.key_providers import LocalKeyProvider, key_fingerprint, key_provider_for
from trellis.core.migrate import upgrade
from trellis.credentials import service as credentials_service
from trellis.credentials.models import Credential, CredentialKind
from trellis.credentials.schemas import CredentialCreate
from trellis.workspaces import service as workspaces_service

runner = CliRunner()

PLAINTEXTS = [f"ghp_rotation{index:02d}SECRETabcdefghijklmnop{index:02d}" for index in range(7)]


@dataclass
class Installation:
    data_dir: Path
    database: Database
    workspace_id: uuid.UUID

    def settings(self, **overrides: object) -> Settings:
        return make_settings(self.data_dir, **overrides)

    def credential_ids(self) -> list[uuid.UUID]:
        with self.database.session_factory() as session:
            return list(session.scalars(select(Credential.id).order_by(Credential.name)))

    def sealed_values(self) -> dict[uuid.UUID, str]:
        with self.database.session_factory() as session:
            return {row[0]: row[1] for row in session.execute(select(Credential.id, Credential.sealed_value))}

    def reveal_all(self, provider: LocalKeyProvider) -> list[str]:
        with self.database.session_factory() as session:
            values = [
                credentials_service.reveal_credential_value(
                    session, workspace_id=self.workspace_id, credential_id=credential_id, key_provider=provider
                )
                for credential_id in self.credential_ids()
            ]
            session.commit()
        return values

    def add_credentials(
        self, plaintexts: list[str], provider: KeyProvider | None = None, **settings_overrides: object
    ) -> None:
        provider = provider or key_provider_for(self.settings(**settings_overrides))
        existing = len(self.credential_ids())
        with self.database.session_factory() as session:
            for index, plaintext in enumerate(plaintexts):
                credentials_service.create_credential(
                    session,
                    workspace_id=self.workspace_id,
                    data=CredentialCreate(
                        name=f"credential {existing + index:02d}",
                        kind=CredentialKind.GIT_TOKEN,
                        provider="github",
                        value=plaintext,  # type: ignore[arg-type]
                    ),
                    created_by=None,
                    key_provider=provider,
                )
            session.commit()


def cli(*args: str, **env: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


@pytest.fixture
def installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Installation]:
    for key in list(os.environ):
        if key.startswith("TRELLIS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("TRELLIS_DATA_DIR", str(data_dir))
    settings = make_settings(data_dir)
    database = create_database(settings)
    upgrade(database)
    with database.session_factory() as session:
        user = auth_service.create_user(session, email="owner@example.com", password=None)
        session.commit()
        [workspace_id] = workspaces_service.member_workspace_ids(session, user_id=user.id)
    yield Installation(data_dir=data_dir, database=database, workspace_id=workspace_id)
    database.dispose()


def key_file(data_dir: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads((data_dir / "master_keys.json").read_text())
    return document


def assert_plaintexts_nowhere_in(directory: Path, plaintexts: list[str]) -> None:
    files = [path for path in directory.rglob("*") if path.is_file()]
    assert any(path.name == "trellis.db" for path in files)
    for path in files:
        content = path.read_bytes()
        for plaintext in plaintexts:
            for encoded in (plaintext.encode(), plaintext.encode("utf-16-le"), base64.b64encode(plaintext.encode())):
                assert encoded not in content, f"a credential's plaintext is in {path}"


def test_rotate_rewraps_every_credential_and_retires_the_old_key(installation: Installation) -> None:
    installation.add_credentials(PLAINTEXTS)
    old_key = LocalKeyProvider.from_file(installation.data_dir).current_key_id()
    before = installation.sealed_values()
    assert {sealed_key_id(value) for value in before.values()} == {old_key}
    with installation.database.session_factory() as session:
        updated_before = {row[0]: row[1] for row in session.execute(select(Credential.id, Credential.updated_at))}

    code, output = cli("keys", "status")
    assert code == 0, output
    assert f"current key: {old_key}" in output
    assert f"stored secrets under {old_key} (current): {len(PLAINTEXTS)}" in output

    code, output = cli("keys", "rotate", "--batch-size", "3")
    assert code == 0, output
    document = key_file(installation.data_dir)
    new_key = document["current"]
    assert isinstance(new_key, str) and new_key != old_key
    assert f"new master key {new_key} is current" in output
    assert f"re-wrapped {len(PLAINTEXTS)} stored secret(s) under {new_key}" in output
    assert f"retired old master key(s): {old_key}" in output
    # The old key is gone from the file; nothing else is left behind either.
    assert list(document["keys"]) == [new_key]  # type: ignore[call-overload]
    assert document["rotating_from"] == []
    assert old_key not in (installation.data_dir / "master_keys.json").read_text()

    after = installation.sealed_values()
    assert {sealed_key_id(value) for value in after.values()} == {new_key}
    for credential_id, sealed in after.items():
        # Only the wrapped data key changed: nonce and ciphertext are the very same bytes.
        assert sealed.split(":")[3:] == before[credential_id].split(":")[3:]
    with installation.database.session_factory() as session:
        assert {
            row[0]: row[1] for row in session.execute(select(Credential.id, Credential.updated_at))
        } == updated_before

    # A fresh process, holding only the new key, reads every credential.
    assert installation.reveal_all(LocalKeyProvider.from_file(installation.data_dir)) == PLAINTEXTS

    code, output = cli("keys", "status")
    assert code == 0 and f"stored secrets under {new_key} (current): {len(PLAINTEXTS)}" in output
    assert old_key not in output

    installation.database.dispose()  # checkpoint the WAL, so every byte SQLite wrote is in the files scanned
    assert_plaintexts_nowhere_in(installation.data_dir, PLAINTEXTS)


def test_rotation_resumes_after_a_crash_part_way(installation: Installation) -> None:
    installation.add_credentials(PLAINTEXTS)
    provider = LocalKeyProvider.from_file(installation.data_dir)
    old_key = provider.current_key_id()
    # A rotation that died after making a new key current and re-wrapping two rows.
    new_key = provider.begin_rotation()
    with installation.database.session_factory() as session:
        for credential_id, sealed in list(installation.sealed_values().items())[:2]:
            session.execute(
                update(Credential)
                .where(Credential.id == credential_id)
                .values(sealed_value=rewrap_secret(sealed, provider=provider))
            )
        session.commit()
    # Meanwhile the server keeps reading every credential, under either key.
    assert installation.reveal_all(LocalKeyProvider.from_file(installation.data_dir)) == PLAINTEXTS
    code, output = cli("keys", "status")
    assert "rotation: unfinished" in output
    assert f"stored secrets under {new_key} (current): 2" in output
    assert f"stored secrets under {old_key}: {len(PLAINTEXTS) - 2}" in output

    code, output = cli("keys", "rotate")
    assert code == 0, output
    assert f"resumed the unfinished rotation to master key {new_key}" in output
    assert f"re-wrapped {len(PLAINTEXTS) - 2} stored secret(s)" in output
    document = key_file(installation.data_dir)
    assert document["current"] == new_key and list(document["keys"]) == [new_key]  # type: ignore[call-overload]
    assert {sealed_key_id(value) for value in installation.sealed_values().values()} == {new_key}
    assert installation.reveal_all(LocalKeyProvider.from_file(installation.data_dir)) == PLAINTEXTS

    # Running it again is a normal rotation to yet another key.
    code, output = cli("keys", "rotate")
    assert code == 0, output
    third = key_file(installation.data_dir)["current"]
    assert third not in (old_key, new_key)
    assert {sealed_key_id(value) for value in installation.sealed_values().values()} == {third}


def test_a_secret_under_an_unknown_key_keeps_the_old_key_until_it_is_dealt_with(installation: Installation) -> None:
    installation.add_credentials(PLAINTEXTS[:3])
    old_key = LocalKeyProvider.from_file(installation.data_dir).current_key_id()
    foreign = LocalKeyProvider.from_master_key(installation.data_dir / "elsewhere", os.urandom(32))
    installation.add_credentials(["ghp_from_another_installation_0123456789"], provider=foreign)
    code, output = cli("keys", "rotate")
    assert code == 1
    assert "cannot re-wrap credentials.sealed_value row" in output
    assert f"master key {foreign.current_key_id()} is not held" in output
    assert "rotation not complete" in output
    document = key_file(installation.data_dir)
    assert old_key in document["keys"]  # type: ignore[operator]
    assert document["rotating_from"] == [old_key]

    current = document["current"]
    bad = [cid for cid, sealed in installation.sealed_values().items() if sealed_key_id(sealed) != current]
    assert len(bad) == 1
    with installation.database.session_factory() as session:
        credentials_service.delete_credential(
            session, workspace_id=installation.workspace_id, credential_id=bad[0], deleted_by=None
        )
        session.commit()
    code, output = cli("keys", "rotate")
    assert code == 0, output
    assert "resumed the unfinished rotation" in output
    assert list(key_file(installation.data_dir)["keys"]) == [document["current"]]  # type: ignore[call-overload]
    assert installation.reveal_all(LocalKeyProvider.from_file(installation.data_dir)) == PLAINTEXTS[:3]


def test_with_a_managed_master_key_rotate_explains_and_rewrap_only_moves_to_the_new_key(
    installation: Installation,
) -> None:
    old, new = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
    installation.add_credentials(PLAINTEXTS[:4], master_key=old)
    assert not (installation.data_dir / "master_keys.json").exists()

    code, output = cli("keys", "rotate", TRELLIS_MASTER_KEY=old)
    assert code == 2
    assert "TRELLIS_MASTER_KEY_PREVIOUS" in output and "trellis keys rotate --rewrap-only" in output
    assert old not in output

    code, output = cli("keys", "rotate", "--rewrap-only", TRELLIS_MASTER_KEY=new, TRELLIS_MASTER_KEY_PREVIOUS=old)
    assert code == 0, output
    new_id = key_fingerprint(base64.b64decode(new))
    assert f"re-wrapped 4 stored secret(s) under {new_id}" in output
    assert "No stored secret needs TRELLIS_MASTER_KEY_PREVIOUS any more" in output
    assert new not in output and old not in output
    assert {sealed_key_id(value) for value in installation.sealed_values().values()} == {new_id}
    only_new = LocalKeyProvider.from_master_key(installation.data_dir, base64.b64decode(new))
    assert installation.reveal_all(only_new) == PLAINTEXTS[:4]
    assert not (installation.data_dir / "master_keys.json").exists()


def test_moving_from_the_key_file_to_a_managed_key(installation: Installation) -> None:
    installation.add_credentials(PLAINTEXTS[:2])
    managed = base64.b64encode(os.urandom(32)).decode()
    code, output = cli("keys", "rotate", "--rewrap-only", TRELLIS_MASTER_KEY=managed)
    assert code == 0, output
    assert f"{installation.data_dir / 'master_keys.json'} any more: it can be deleted" in output
    (installation.data_dir / "master_keys.json").unlink()
    provider = LocalKeyProvider.from_master_key(installation.data_dir, base64.b64decode(managed))
    assert installation.reveal_all(provider) == PLAINTEXTS[:2]


def test_status_on_a_fresh_installation_creates_nothing(installation: Installation) -> None:
    code, output = cli("keys", "status")
    assert code == 0, output
    assert "current key: none yet" in output
    assert "stored secrets: none" in output
    assert "credentials.sealed_value: none" in output
    assert not (installation.data_dir / "master_keys.json").exists()
