"""`trellis keys rotate` on PostgreSQL while another process keeps reading every credential."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import make_settings
from trellis.auth import service as auth_service
from trellis.cli import app
from trellis.core.crypto import sealed_key_id
from trellis.core.db import create_database
from trellis.core.key_providers import LocalKeyProvider, key_provider_for
from trellis.core.migrate import upgrade
from trellis.credentials import service as credentials_service
from trellis.credentials.models import Credential
from trellis.credentials.schemas import CredentialCreate
from trellis.workspaces import service as workspaces_service

PLAINTEXTS = [f"sk-rotation-{index:03d}-abcdefghijklmnopqrstuvwxyz" for index in range(60)]


def test_rotation_on_postgres_with_a_concurrent_reader(database_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, database_url=database_url)
    database = create_database(settings)
    upgrade(database)
    provider = key_provider_for(settings)
    with database.session_factory() as session:
        user = auth_service.create_user(session, email="owner@example.com", password=None)
        session.flush()
        [workspace_id] = workspaces_service.member_workspace_ids(session, user_id=user.id)
        ids: list[uuid.UUID] = []
        for index, plaintext in enumerate(PLAINTEXTS):
            created = credentials_service.create_credential(
                session,
                workspace_id=workspace_id,
                data=CredentialCreate(name=f"key {index:03d}", value=plaintext),  # type: ignore[arg-type]
                created_by=user.id,
                key_provider=provider,
            )
            ids.append(created.id)
        session.commit()
    old_key = provider.current_key_id()

    # "Another process": its own provider instance and sessions, reading everything in a loop.
    reader = LocalKeyProvider.from_file(data_dir)
    stop = threading.Event()
    failures: list[BaseException] = []
    rounds = 0

    def read_continuously() -> None:
        nonlocal rounds
        while not stop.is_set():
            try:
                with database.session_factory() as session:
                    values = [
                        credentials_service.reveal_credential_value(
                            session, workspace_id=workspace_id, credential_id=credential_id, key_provider=reader
                        )
                        for credential_id in ids
                    ]
                    session.commit()
                assert values == PLAINTEXTS
                rounds += 1
            except BaseException as exc:
                failures.append(exc)
                return

    thread = threading.Thread(target=read_continuously)
    thread.start()
    env = {key: "" for key in os.environ if key.startswith("TRELLIS_")}
    env.update(TRELLIS_DATA_DIR=str(data_dir), TRELLIS_DATABASE_URL=database_url)
    try:
        result = CliRunner().invoke(app, ["keys", "rotate", "--batch-size", "7"], env=env)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert failures == []
    assert rounds >= 1

    new_key = LocalKeyProvider.from_file(data_dir).current_key_id()
    assert new_key != old_key
    assert f"re-wrapped {len(PLAINTEXTS)} stored secret(s) under {new_key}" in result.output
    assert f"retired old master key(s): {old_key}" in result.output
    with database.session_factory() as session:
        sealed = list(session.scalars(select(Credential.sealed_value)))
    assert {sealed_key_id(value) for value in sealed} == {new_key}
    with database.session_factory() as session:
        fresh = LocalKeyProvider.from_file(data_dir)
        assert [
            credentials_service.reveal_credential_value(
                session, workspace_id=workspace_id, credential_id=credential_id, key_provider=fresh
            )
            for credential_id in ids
        ] == PLAINTEXTS
    status = CliRunner().invoke(app, ["keys", "status"], env=env)
    assert f"stored secrets under {new_key} (current): {len(PLAINTEXTS)}" in status.output
    database.dispose()
