"""Workspaces, members, invitations and the role matrix of seed 004."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.conftest import SignedInUser, add_member, row_counts, sign_up
from trellis.core.db import utcnow
from trellis.core.runtime import Runtime
from trellis.workspaces.models import Invitation
from trellis.workspaces.permissions import ROLE_PERMISSIONS, Permission, Role


@pytest.fixture
def team(client: TestClient) -> dict[str, SignedInUser | str]:
    """A shared workspace with one member of each role, and an outsider."""
    owner = sign_up(client, "owner@example.com")
    workspace_id = client.post("/api/v1/workspaces", json={"name": "Team"}, headers=owner.headers).json()["id"]
    people: dict[str, SignedInUser | str] = {"owner": owner, "workspace_id": workspace_id}
    for role in ("admin", "editor", "viewer"):
        member = sign_up(client, f"{role}@example.com")
        add_member(client, owner, workspace_id, member, role)
        people[role] = member
    people["outsider"] = sign_up(client, "outsider@example.com")
    return people


def test_create_list_read_update_delete(client: TestClient) -> None:
    owner = sign_up(client, "wanda@example.com")
    created = client.post("/api/v1/workspaces", json={"name": "Apollo", "description": "moon"}, headers=owner.headers)
    assert created.status_code == 201 and created.json()["role"] == "owner"
    workspace_id = created.json()["id"]
    names = [w["name"] for w in client.get("/api/v1/workspaces", headers=owner.headers).json()["items"]]
    assert names == ["wanda@example.com's workspace", "Apollo"]
    patched = client.patch(f"/api/v1/workspaces/{workspace_id}", json={"name": "Artemis"}, headers=owner.headers)
    assert patched.json()["name"] == "Artemis"
    assert client.delete(f"/api/v1/workspaces/{workspace_id}", headers=owner.headers).status_code == 204
    assert client.get(f"/api/v1/workspaces/{workspace_id}", headers=owner.headers).status_code == 404
    personal = client.delete(f"/api/v1/workspaces/{owner.workspace_id}", headers=owner.headers)
    assert personal.status_code == 409 and personal.json()["detail"]["error"] == "personal_workspace"


def test_members_are_listed_with_roles(client: TestClient, team) -> None:  # type: ignore[no-untyped-def]
    members = client.get(f"/api/v1/workspaces/{team['workspace_id']}/members", headers=team["viewer"].headers)
    assert [(m["email"], m["role"]) for m in members.json()["items"]] == [
        ("owner@example.com", "owner"),
        ("admin@example.com", "admin"),
        ("editor@example.com", "editor"),
        ("viewer@example.com", "viewer"),
    ]


def test_invitation_is_accepted_only_by_the_invited_address(client: TestClient, runtime: Runtime) -> None:
    owner = sign_up(client, "olive@example.com")
    invited = client.post(
        f"/api/v1/workspaces/{owner.workspace_id}/invite",
        json={"email": "Pete@Example.com", "role": "viewer"},
        headers=owner.headers,
    ).json()
    assert invited["email"] == "pete@example.com" and invited["role"] == "viewer"
    mail = client.get("/api/v1/dev/outbox", params={"to": "pete@example.com"}).json()["items"][0]
    assert invited["token"] in mail["body"]
    mallory = sign_up(client, "mallory@example.com")
    stolen = client.post(f"/api/v1/invitations/{invited['token']}/accept", headers=mallory.headers)
    assert stolen.status_code == 404 and stolen.json()["detail"]["error"] == "invitation_not_found"
    pete = sign_up(client, "pete@example.com")
    pending = client.get("/api/v1/invitations", headers=pete.headers).json()["items"]
    assert [(i["workspace_name"], i["role"]) for i in pending] == [("olive@example.com's workspace", "viewer")]
    accepted = client.post(f"/api/v1/invitations/{invited['token']}/accept", headers=pete.headers)
    assert accepted.status_code == 200 and accepted.json()["role"] == "viewer"
    again = client.post(f"/api/v1/invitations/{invited['token']}/accept", headers=pete.headers)
    assert again.status_code == 409
    with runtime.database.session_factory() as session:
        stored = session.scalars(select(Invitation.token_hash)).one()
        assert stored != invited["token"]


def test_expired_invitations_cannot_be_accepted(client: TestClient, runtime: Runtime) -> None:
    owner = sign_up(client, "quinn@example.com")
    token = client.post(
        f"/api/v1/workspaces/{owner.workspace_id}/invite", json={"email": "rae@example.com"}, headers=owner.headers
    ).json()["token"]
    with runtime.database.session_factory() as session:
        session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    rae = sign_up(client, "rae@example.com")
    response = client.post(f"/api/v1/invitations/{token}/accept", headers=rae.headers)
    assert response.status_code == 410 and response.json()["detail"]["error"] == "invitation_expired"


def test_last_owner_cannot_leave_or_be_demoted(client: TestClient, team) -> None:  # type: ignore[no-untyped-def]
    workspace_id, owner = team["workspace_id"], team["owner"]
    leave = client.post(f"/api/v1/workspaces/{workspace_id}/leave", headers=owner.headers)
    assert leave.status_code == 409 and leave.json()["detail"]["error"] == "last_owner"
    demote = client.patch(
        f"/api/v1/workspaces/{workspace_id}/members/{owner.user_id}", json={"role": "admin"}, headers=owner.headers
    )
    assert demote.status_code == 409
    # With a second owner, the first may go.
    promote = client.patch(
        f"/api/v1/workspaces/{workspace_id}/members/{team['admin'].user_id}",
        json={"role": "owner"},
        headers=owner.headers,
    )
    assert promote.json() == {"role": "owner"}
    assert client.post(f"/api/v1/workspaces/{workspace_id}/leave", headers=owner.headers).status_code == 204
    assert client.get(f"/api/v1/workspaces/{workspace_id}", headers=owner.headers).status_code == 404


def test_admins_cannot_touch_owners(client: TestClient, team) -> None:  # type: ignore[no-untyped-def]
    workspace_id, admin = team["workspace_id"], team["admin"]
    remove_owner = client.delete(
        f"/api/v1/workspaces/{workspace_id}/members/{team['owner'].user_id}", headers=admin.headers
    )
    assert remove_owner.status_code == 403
    make_owner = client.patch(
        f"/api/v1/workspaces/{workspace_id}/members/{team['editor'].user_id}",
        json={"role": "owner"},
        headers=admin.headers,
    )
    assert make_owner.status_code == 403
    demote_editor = client.patch(
        f"/api/v1/workspaces/{workspace_id}/members/{team['editor'].user_id}",
        json={"role": "viewer"},
        headers=admin.headers,
    )
    assert demote_editor.json() == {"role": "viewer"}


def test_membership_changes_are_in_the_activity_log(client: TestClient, team) -> None:  # type: ignore[no-untyped-def]
    workspace_id, owner = team["workspace_id"], team["owner"]
    client.patch(
        f"/api/v1/workspaces/{workspace_id}/members/{team['viewer'].user_id}",
        json={"role": "editor"},
        headers=owner.headers,
    )
    client.delete(f"/api/v1/workspaces/{workspace_id}/members/{team['editor'].user_id}", headers=owner.headers)
    log = client.get("/api/v1/activity", params={"workspace_id": workspace_id}, headers=team["admin"].headers).json()
    actions = [(r["action"], r["from_state"], r["to_state"]) for r in log["items"]]
    assert actions[0] == ("member.removed", "editor", None)
    assert actions[1] == ("member.role_changed", "viewer", "editor")
    assert sum(1 for a in actions if a[0] == "member.invited") == 3
    assert sum(1 for a in actions if a[0] == "member.joined") == 3
    first = log["items"][0]
    assert first["user_id"] == owner.user_id and first["request_id"] and first["correlation_id"]
    outsider = client.get("/api/v1/activity", params={"workspace_id": workspace_id}, headers=team["outsider"].headers)
    assert outsider.status_code == 404
    own = client.get("/api/v1/activity", headers=team["outsider"].headers).json()
    assert {r["action"] for r in own["items"]} >= {"auth.account_created", "auth.signed_in"}


# ---------------------------------------------------------------- the access matrix


def _workspace_routes(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if "{workspace_id}" in path
        for method in operations
    ]


def _fill(path: str, workspace_id: str) -> str:
    path = path.replace("{workspace_id}", workspace_id)
    return re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)


def test_outsiders_get_404_on_every_workspace_route_and_change_nothing(
    client: TestClient,
    runtime: Runtime,
    team,  # type: ignore[no-untyped-def]
) -> None:
    routes = _workspace_routes(client)
    assert len(routes) >= 9  # every route of this domain (and later domains) is covered automatically
    before = row_counts(runtime)
    for method, path in routes:
        response = client.request(method, _fill(path, team["workspace_id"]), json={}, headers=team["outsider"].headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"]["error"] == "workspace_not_found"
    assert row_counts(runtime) == before


def test_viewers_get_403_on_every_write(client: TestClient, runtime: Runtime, team) -> None:  # type: ignore[no-untyped-def]
    writes = [(m, p) for m, p in _workspace_routes(client) if m != "GET" and not p.endswith("/leave")]
    assert writes
    before = row_counts(runtime)
    for method, path in writes:
        response = client.request(method, _fill(path, team["workspace_id"]), json={}, headers=team["viewer"].headers)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["detail"]["error"] == "forbidden"
    assert row_counts(runtime) == before


# One endpoint per row of seed 004's matrix that exists at this stage.
PERMISSION_PROBES = {
    Permission.READ: ("GET", "/api/v1/workspaces/{id}", None),
    Permission.MANAGE_SETTINGS: ("PATCH", "/api/v1/workspaces/{id}", {"description": "probe"}),
    Permission.MANAGE_MEMBERS: ("POST", "/api/v1/workspaces/{id}/invite", {"email": "x@example.com", "role": "viewer"}),
    Permission.DELETE_WORKSPACE: ("DELETE", "/api/v1/workspaces/{id}", None),
}


@pytest.mark.parametrize("role", ["owner", "admin", "editor", "viewer"])
def test_each_roles_allowed_actions_match_seed_004(client: TestClient, role: str) -> None:
    owner = sign_up(client, f"{role}-owner@example.com")
    member = sign_up(client, f"{role}-member@example.com") if role != "owner" else owner
    allowed = {}
    for permission, (method, template, body) in PERMISSION_PROBES.items():
        workspace_id = client.post(
            "/api/v1/workspaces", json={"name": f"probe {permission}"}, headers=owner.headers
        ).json()["id"]
        if member is not owner:
            add_member(client, owner, workspace_id, member, role)
        response = client.request(method, template.format(id=workspace_id), json=body, headers=member.headers)
        assert response.status_code in (200, 201, 204, 403), response.text
        allowed[permission] = response.status_code != 403
    expected = {permission: permission in ROLE_PERMISSIONS[Role(role)] for permission in PERMISSION_PROBES}
    assert allowed == expected
    assert expected[Permission.DELETE_WORKSPACE] is (role == "owner")
    assert expected[Permission.MANAGE_MEMBERS] is (role in ("owner", "admin"))
    assert expected[Permission.READ] is True


def test_seed_004_matrix_is_encoded_exactly() -> None:
    seed_rows = {  # action: (owner, admin, editor, viewer)
        Permission.READ: (True, True, True, True),
        Permission.WRITE: (True, True, True, False),
        Permission.MANAGE_MEMBERS: (True, True, False, False),
        Permission.MANAGE_SETTINGS: (True, True, False, False),
        Permission.DELETE_WORKSPACE: (True, False, False, False),
    }
    for permission, row in seed_rows.items():
        assert tuple(permission in ROLE_PERMISSIONS[role] for role in Role) == row, permission
