"""Workspace credentials over HTTP: stored sealed, shown masked, managed by owners and admins only."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import SignedInUser, add_member
from trellis.core.crypto import sealed_key_id
from trellis.core.key_providers import key_provider_for
from trellis.core.runtime import Runtime
from trellis.credentials import service as credentials_service
from trellis.credentials.models import Credential

TOKEN = "ghp_1234567890abcdefGHIJKLMNOPqrstuvwxyz"
OPENAI_KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


def url(workspace_id: str, credential_id: str | None = None) -> str:
    base = f"/api/v1/workspaces/{workspace_id}/credentials"
    return f"{base}/{credential_id}" if credential_id else base


def create(client: TestClient, user: SignedInUser, name: str = "GitHub bot", value: str = TOKEN, **extra: str) -> dict:
    body = {"name": name, "kind": "git_token", "provider": "github", "value": value, **extra}
    response = client.post(url(user.workspace_id), json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    assert TOKEN not in response.text and OPENAI_KEY not in response.text
    return response.json()  # type: ignore[no-any-return]


def test_create_returns_metadata_and_a_masked_hint_never_the_value(
    client: TestClient, signed_in: Callable[..., SignedInUser]
) -> None:
    owner = signed_in("owner@example.com")
    response = client.post(
        url(owner.workspace_id),
        json={"name": "  GitHub bot ", "kind": "git_token", "provider": "github", "value": TOKEN},
        headers=owner.headers,
    )
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {
        "id", "workspace_id", "name", "kind", "provider", "masked_hint",
        "created_by", "created_at", "updated_at", "last_used_at",
    }  # fmt: skip
    assert created["masked_hint"] == "ghp_...wxyz"
    assert created["name"] == "GitHub bot"
    assert created["workspace_id"] == owner.workspace_id
    assert created["created_by"] == owner.user_id
    assert created["last_used_at"] is None
    assert response.headers["Location"] == url(owner.workspace_id, created["id"])
    assert TOKEN not in response.text and TOKEN[4:-4] not in response.text

    read = client.get(url(owner.workspace_id, created["id"]), headers=owner.headers)
    assert read.status_code == 200 and read.json() == created


def test_list_never_contains_a_value(client: TestClient, signed_in: Callable[..., SignedInUser]) -> None:
    owner = signed_in("owner@example.com")
    create(client, owner, "GitHub bot", TOKEN)
    create(client, owner, "OpenAI", OPENAI_KEY, kind="llm_api_key", provider="openai")
    create(client, owner, "Webhook", "short-one", kind="webhook_secret", provider="")

    listed = client.get(url(owner.workspace_id), headers=owner.headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 3 and body["limit"] == 50 and body["offset"] == 0
    assert [(c["name"], c["kind"], c["provider"], c["masked_hint"]) for c in body["items"]] == [
        ("GitHub bot", "git_token", "github", "ghp_...wxyz"),
        ("OpenAI", "llm_api_key", "openai", "sk-p...6789"),
        ("Webhook", "webhook_secret", None, "***"),
    ]
    for secret in (TOKEN, OPENAI_KEY, "short-one"):
        assert secret not in listed.text
    assert all("value" not in item and "sealed_value" not in item for item in body["items"])

    page = client.get(url(owner.workspace_id), params={"limit": 1, "offset": 1, "kind": "llm_api_key"},
                      headers=owner.headers)  # fmt: skip
    assert page.json()["total"] == 1 and page.json()["items"] == []


def test_the_value_is_stored_sealed_and_opens_server_side(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser]
) -> None:
    owner = signed_in("owner@example.com")
    created = create(client, owner)
    provider = key_provider_for(runtime.settings)
    with runtime.database.session_factory() as session:
        sealed = session.scalar(select(Credential.sealed_value).where(Credential.id == uuid.UUID(created["id"])))
        assert sealed is not None and TOKEN not in sealed
        assert sealed_key_id(sealed) == provider.current_key_id()
        value = credentials_service.reveal_credential_value(
            session, workspace_id=uuid.UUID(owner.workspace_id), credential_id=uuid.UUID(created["id"])
        )
        session.commit()
    assert value == TOKEN
    read = client.get(url(owner.workspace_id, created["id"]), headers=owner.headers).json()
    assert read["last_used_at"] is not None
    assert read["updated_at"] == created["updated_at"]


def test_roles(client: TestClient, signed_in: Callable[..., SignedInUser]) -> None:
    owner = signed_in("owner@example.com")
    admin, editor, viewer = (signed_in(f"{role}@example.com") for role in ("admin", "editor", "viewer"))
    for member, role in ((admin, "admin"), (editor, "editor"), (viewer, "viewer")):
        add_member(client, owner, owner.workspace_id, member, role)
    created = create(client, owner)
    body = {"name": "Another", "kind": "generic", "value": OPENAI_KEY}

    for member in (editor, viewer):
        denied = client.post(url(owner.workspace_id), json=body, headers=member.headers)
        assert denied.status_code == 403
        assert denied.json()["detail"]["error"] == "forbidden"
        assert OPENAI_KEY not in denied.text
        assert client.delete(url(owner.workspace_id, created["id"]), headers=member.headers).status_code == 403
        # Reading metadata is for every member.
        assert client.get(url(owner.workspace_id), headers=member.headers).json()["total"] == 1
        assert client.get(url(owner.workspace_id, created["id"]), headers=member.headers).status_code == 200

    by_admin = client.post(url(owner.workspace_id), json=body, headers=admin.headers)
    assert by_admin.status_code == 201 and by_admin.json()["created_by"] == admin.user_id
    assert client.delete(url(owner.workspace_id, by_admin.json()["id"]), headers=admin.headers).status_code == 204


def test_outsiders_get_404_and_anonymous_callers_401(
    client: TestClient, signed_in: Callable[..., SignedInUser]
) -> None:
    owner = signed_in("owner@example.com")
    outsider = signed_in("outsider@example.com")
    created = create(client, owner)
    for method, path in (
        ("GET", url(owner.workspace_id)),
        ("GET", url(owner.workspace_id, created["id"])),
        ("DELETE", url(owner.workspace_id, created["id"])),
        ("POST", url(owner.workspace_id)),
    ):
        body = {"name": "x", "kind": "generic", "value": OPENAI_KEY} if method == "POST" else None
        response = client.request(method, path, json=body, headers=outsider.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert TOKEN not in response.text
        assert client.request(method, path, json=body).status_code == 401
    # A credential id of another workspace is not found through the caller's own workspace.
    response = client.get(url(outsider.workspace_id, created["id"]), headers=outsider.headers)
    assert response.status_code == 404
    assert response.json()["detail"]["error"] == "credential_not_found"


def test_delete_then_404_and_audited(client: TestClient, signed_in: Callable[..., SignedInUser]) -> None:
    owner = signed_in("owner@example.com")
    created = create(client, owner)
    deleted = client.delete(url(owner.workspace_id, created["id"]), headers=owner.headers)
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get(url(owner.workspace_id, created["id"]), headers=owner.headers).status_code == 404
    assert client.delete(url(owner.workspace_id, created["id"]), headers=owner.headers).status_code == 404
    assert client.get(url(owner.workspace_id), headers=owner.headers).json()["total"] == 0

    activity = client.get(
        "/api/v1/activity",
        params={"workspace_id": owner.workspace_id, "action": ["credential.created", "credential.deleted"]},
        headers=owner.headers,
    )
    assert activity.status_code == 200
    records = activity.json()["items"]
    assert sorted(r["action"] for r in records) == ["credential.created", "credential.deleted"]
    assert all(r["resource_id"] == created["id"] and r["user_id"] == owner.user_id for r in records)
    assert TOKEN not in activity.text


def test_bad_input_is_a_clear_4xx_that_never_echoes_the_value(
    client: TestClient, signed_in: Callable[..., SignedInUser]
) -> None:
    owner = signed_in("owner@example.com")
    create(client, owner, "GitHub bot")
    duplicate = client.post(
        url(owner.workspace_id), json={"name": "GitHub bot", "kind": "git_token", "value": OPENAI_KEY},
        headers=owner.headers,
    )  # fmt: skip
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"]["error"] == "credential_name_taken"
    assert OPENAI_KEY not in duplicate.text

    cases = [
        {"name": "", "kind": "generic", "value": OPENAI_KEY},
        {"name": "   ", "kind": "generic", "value": OPENAI_KEY},
        {"name": "x" * 101, "kind": "generic", "value": OPENAI_KEY},
        {"name": "ok", "kind": "password", "value": OPENAI_KEY},
        {"name": "ok", "kind": "generic", "value": ""},
        {"name": "ok", "kind": "generic"},
        {"name": "ok", "kind": "generic", "value": OPENAI_KEY, "extra": "field"},
    ]
    for body in cases:
        response = client.post(url(owner.workspace_id), json=body, headers=owner.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"]["error"] == "validation_error"
        assert OPENAI_KEY not in response.text
    assert client.get(url(owner.workspace_id), headers=owner.headers).json()["total"] == 1
    assert client.get(url(owner.workspace_id, "not-a-uuid"), headers=owner.headers).status_code == 422
