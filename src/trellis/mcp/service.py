"""Registered MCP servers: CRUD with sealed env/headers, who may register what, and connection bookkeeping.

Registering or changing a stdio server needs a workspace owner or admin (or an instance admin),
because connecting one runs its command on the Trellis host; other servers need `write`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.auth.service import Principal
from trellis.core.crypto import KeyProvider, open_secret, seal_secret
from trellis.core.db import new_id, utcnow
from trellis.core.errors import Conflict, PermissionDenied
from trellis.core.key_providers import current_key_provider
from trellis.mcp.client import McpServerSnapshot
from trellis.mcp.config import McpServerConfig
from trellis.mcp.errors import McpServerNotFound, McpStdioDisabled
from trellis.mcp.models import McpServer, McpServerStatus, McpTransport
from trellis.mcp.schemas import MASKED, McpServerCreate, McpServerList, McpServerRead, McpServerUpdate
from trellis.mcp.validation import check_shape, merge_secret_map
from trellis.workspaces import service as workspaces_service
from trellis.workspaces.permissions import Permission, Role
from trellis.workspaces.service import WorkspaceAccess


class McpServerNameTaken(Conflict):
    code = "mcp_server_name_taken"


class StdioNeedsAdmin(PermissionDenied):
    code = "mcp_stdio_requires_admin"


def _context(server_id: uuid.UUID, part: str) -> str:
    return f"mcp_server:{server_id}:{part}"


def _seal(server_id: uuid.UUID, part: str, values: dict[str, str], provider: KeyProvider) -> str:
    return seal_secret(json.dumps(values, sort_keys=True), context=_context(server_id, part), provider=provider)


def _open(server: McpServer, part: str, provider: KeyProvider) -> dict[str, str]:
    sealed = server.sealed_env if part == "env" else server.sealed_headers
    opened: dict[str, str] = json.loads(open_secret(sealed, context=_context(server.id, part), provider=provider))
    return opened


def to_read(server: McpServer) -> McpServerRead:
    return McpServerRead(
        id=server.id,
        workspace_id=server.workspace_id,
        name=server.name,
        description=server.description,
        type=server.type,
        command=server.command,
        args=list(server.args or []),
        url=server.url,
        env=dict.fromkeys(server.env_names or [], MASKED),
        headers=dict.fromkeys(server.header_names or [], MASKED),
        capabilities=server.capabilities or {},
        server_info=server.server_info,
        protocol_version=server.protocol_version,
        tool_count=len(server.tools or []),
        status=server.status,
        last_connected_at=server.last_connected_at,
        last_error=server.last_error,
        created_by=server.created_by,
        created_at=server.created_at,
        updated_at=server.updated_at,
    )


def _check_stdio_allowed(access: WorkspaceAccess, *, allow_stdio: bool) -> None:
    if not allow_stdio:
        raise McpStdioDisabled("stdio MCP servers are disabled on this instance (TRELLIS_MCP_ALLOW_STDIO=false).")
    if access.role not in (Role.OWNER, Role.ADMIN) and not access.principal.is_admin:
        raise StdioNeedsAdmin(
            "A stdio MCP server runs its command on the Trellis server, so only workspace owners and admins "
            f"(or instance admins) may register or change one; your role is {access.role.value}.",
            role=access.role.value,
        )


def _load(
    db_session: Session, principal: Principal, server_id: uuid.UUID, permission: Permission
) -> tuple[McpServer, WorkspaceAccess]:
    missing = McpServerNotFound(f"MCP server {server_id} does not exist.", server_id=str(server_id))
    server = db_session.get(McpServer, server_id)
    if server is None:
        raise missing
    access = workspaces_service.authorize(
        db_session, principal=principal, workspace_id=server.workspace_id, permission=permission, not_found=missing
    )
    return server, access


def _name_taken(name: str) -> McpServerNameTaken:
    return McpServerNameTaken(f"This workspace already has an MCP server named {name!r}.", name=name)


def _audit(db_session: Session, action: str, server: McpServer, user_id: uuid.UUID, **metadata: Any) -> None:
    audit_service.record(
        db_session,
        action=action,
        user_id=user_id,
        workspace_id=server.workspace_id,
        resource_type="mcp_server",
        resource_id=str(server.id),
        metadata={"name": server.name, "type": str(server.type), **metadata},
    )


def create_server(
    db_session: Session,
    *,
    principal: Principal,
    data: McpServerCreate,
    allow_stdio: bool,
    key_provider: KeyProvider | None = None,
) -> McpServerRead:
    workspace_id = data.workspace_id or workspaces_service.personal_workspace_id(db_session, user_id=principal.user_id)
    access = workspaces_service.authorize(
        db_session, principal=principal, workspace_id=workspace_id, permission=Permission.WRITE
    )
    if data.type is McpTransport.STDIO:
        _check_stdio_allowed(access, allow_stdio=allow_stdio)
    values = data.model_dump()
    check_shape(values)
    if db_session.scalar(
        select(McpServer.id).where(McpServer.workspace_id == workspace_id, McpServer.name == data.name)
    ):
        raise _name_taken(data.name)
    provider = key_provider or current_key_provider()
    server_id = new_id()
    env, headers = data.env or {}, data.headers or {}
    server = McpServer(
        id=server_id,
        workspace_id=workspace_id,
        name=data.name,
        description=data.description,
        type=data.type,
        command=data.command,
        args=list(data.args or []),
        url=data.url,
        sealed_env=_seal(server_id, "env", env, provider),
        sealed_headers=_seal(server_id, "headers", headers, provider),
        env_names=sorted(env),
        header_names=sorted(headers),
        capabilities={},
        tools=[],
        status=McpServerStatus.DISCONNECTED,
        config_version=1,
        created_by=principal.user_id,
    )
    try:
        with db_session.begin_nested():
            db_session.add(server)
    except IntegrityError:
        raise _name_taken(data.name) from None
    _audit(db_session, "mcp_server.created", server, principal.user_id)
    return to_read(server)


def list_servers(
    db_session: Session,
    *,
    principal: Principal,
    workspace_id: uuid.UUID | None,
    transport: McpTransport | None,
    status: McpServerStatus | None,
    limit: int,
    offset: int,
) -> McpServerList:
    if workspace_id is not None:
        workspaces_service.authorize(
            db_session, principal=principal, workspace_id=workspace_id, permission=Permission.READ
        )
        workspace_ids = [workspace_id]
    else:
        workspace_ids = workspaces_service.member_workspace_ids(db_session, user_id=principal.user_id)
    query = select(McpServer).where(McpServer.workspace_id.in_(workspace_ids))
    if transport is not None:
        query = query.where(McpServer.type == transport)
    if status is not None:
        query = query.where(McpServer.status == status)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session.scalars(query.order_by(McpServer.name, McpServer.id).limit(limit).offset(offset)).all()
    return McpServerList(items=[to_read(row) for row in rows], total=total, limit=limit, offset=offset)


def get_server(db_session: Session, *, principal: Principal, server_id: uuid.UUID) -> McpServerRead:
    return to_read(_load(db_session, principal, server_id, Permission.READ)[0])


def update_server(
    db_session: Session,
    *,
    principal: Principal,
    server_id: uuid.UUID,
    data: McpServerUpdate,
    allow_stdio: bool,
    key_provider: KeyProvider | None = None,
) -> tuple[McpServerRead, bool]:
    """Apply the given fields; returns the server and whether its connection settings changed."""
    server, access = _load(db_session, principal, server_id, Permission.WRITE)
    given = data.model_dump(exclude_unset=True)
    if given.get("type") is None:
        given.pop("type", None)
    if given.get("name") is None:
        given.pop("name", None)
    new_type = McpTransport(given.get("type", server.type))
    if McpTransport.STDIO in (new_type, McpTransport(server.type)):
        _check_stdio_allowed(access, allow_stdio=allow_stdio or new_type is not McpTransport.STDIO)
    provider = key_provider or current_key_provider()
    stored_env, stored_headers = _open(server, "env", provider), _open(server, "headers", provider)
    current: dict[str, Any] = {
        "type": McpTransport(server.type),
        "command": server.command,
        "args": list(server.args or []),
        "url": server.url,
        "env": stored_env,
        "headers": stored_headers,
    }
    if new_type is not current["type"]:
        # A new transport starts from that transport's blank fields, plus whatever this request gives.
        current.update(command=None, args=[], url=None, env={}, headers={})
    for field in ("command", "args", "url"):
        if field in given:
            current[field] = given[field]
    for field, stored in (("env", stored_env), ("headers", stored_headers)):
        if field in given:
            current[field] = merge_secret_map(field, stored, given[field] or {})
    current["type"] = new_type
    check_shape(current)

    before = (server.type, server.command, list(server.args or []), server.url, stored_env, stored_headers)
    after = (
        new_type,
        current["command"],
        list(current["args"] or []),
        current["url"],
        current["env"],
        current["headers"],
    )
    connection_changed = before != after
    if "name" in given and given["name"] != server.name:
        clash = db_session.scalar(
            select(McpServer.id).where(McpServer.workspace_id == server.workspace_id, McpServer.name == given["name"])
        )
        if clash is not None:
            raise _name_taken(given["name"])
        server.name = given["name"]
    if "description" in given:
        server.description = given["description"]
    if connection_changed:
        server.type = new_type
        server.command, server.args, server.url = current["command"], list(current["args"] or []), current["url"]
        server.sealed_env = _seal(server.id, "env", current["env"], provider)
        server.sealed_headers = _seal(server.id, "headers", current["headers"], provider)
        server.env_names, server.header_names = sorted(current["env"]), sorted(current["headers"])
        server.config_version += 1
        # What was learned over the old settings no longer describes this server.
        server.status = McpServerStatus.DISCONNECTED
        server.last_error = None
    server.updated_at = utcnow()
    try:
        db_session.flush()
    except IntegrityError:
        raise _name_taken(server.name) from None
    _audit(db_session, "mcp_server.updated", server, principal.user_id, fields=sorted(given))
    return to_read(server), connection_changed


def delete_server(db_session: Session, *, principal: Principal, server_id: uuid.UUID) -> None:
    server, _access = _load(db_session, principal, server_id, Permission.WRITE)
    _audit(db_session, "mcp_server.deleted", server, principal.user_id)
    db_session.delete(server)
    db_session.flush()


def _config(server: McpServer, provider: KeyProvider) -> McpServerConfig:
    return McpServerConfig(
        server_id=str(server.id),
        workspace_id=str(server.workspace_id),
        name=server.name,
        type=McpTransport(server.type),
        command=server.command,
        args=tuple(server.args or []),
        url=server.url,
        env=_open(server, "env", provider),
        headers=_open(server, "headers", provider),
        config_version=server.config_version,
    )


def load_server_config(
    db_session: Session,
    *,
    workspace_id: str | uuid.UUID,
    server_id: str | uuid.UUID,
    key_provider: KeyProvider | None = None,
) -> McpServerConfig:
    """The decrypted configuration, for in-process use (the engine's MCP and agent nodes).

    Raises McpServerNotFound when the server does not exist in that workspace. The caller has
    already decided the run may act in the workspace; never return the result from a route.
    """
    try:
        wanted_server, wanted_workspace = uuid.UUID(str(server_id)), uuid.UUID(str(workspace_id))
    except ValueError:
        raise McpServerNotFound(f"MCP server {server_id} does not exist.", server_id=str(server_id)) from None
    server = db_session.get(McpServer, wanted_server)
    if server is None or server.workspace_id != wanted_workspace:
        raise McpServerNotFound(f"MCP server {server_id} does not exist in this workspace.", server_id=str(server_id))
    return _config(server, key_provider or current_key_provider())


def config_for(
    db_session: Session,
    *,
    principal: Principal,
    server_id: uuid.UUID,
    permission: Permission,
    key_provider: KeyProvider | None = None,
) -> tuple[McpServerRead, McpServerConfig]:
    server, _access = _load(db_session, principal, server_id, permission)
    return to_read(server), _config(server, key_provider or current_key_provider())


def _current_row(db_session: Session, server_id: uuid.UUID, config_version: int) -> McpServer | None:
    """The row, unless it was deleted or reconfigured while we talked to the server (then we record nothing)."""
    server = db_session.get(McpServer, server_id)
    return server if server is not None and server.config_version == config_version else None


def record_connected(
    db_session: Session, *, server_id: uuid.UUID, config_version: int, snapshot: McpServerSnapshot, user_id: uuid.UUID
) -> McpServerRead | None:
    server = _current_row(db_session, server_id, config_version)
    if server is None:
        return None
    now = utcnow()
    server.status = McpServerStatus.CONNECTED
    server.last_connected_at = now
    server.last_error = None
    server.capabilities = snapshot.capabilities
    server.server_info = snapshot.server_info
    server.protocol_version = snapshot.protocol_version
    server.tools = snapshot.tools
    server.tools_fetched_at = now
    _audit(db_session, "mcp_server.connected", server, user_id, tool_count=len(snapshot.tools))
    return to_read(server)


def record_tools(
    db_session: Session, *, server_id: uuid.UUID, config_version: int, tools: list[dict[str, Any]]
) -> None:
    server = _current_row(db_session, server_id, config_version)
    if server is not None and server.tools != tools:
        server.tools = tools
        server.tools_fetched_at = utcnow()


def record_failure(db_session: Session, *, server_id: uuid.UUID, config_version: int, message: str) -> None:
    """`message` is already masked (trellis.mcp.failures)."""
    server = _current_row(db_session, server_id, config_version)
    if server is not None:
        server.status = McpServerStatus.ERROR
        server.last_error = message


def record_disconnected(db_session: Session, *, principal: Principal, server_id: uuid.UUID) -> McpServerRead:
    server, _access = _load(db_session, principal, server_id, Permission.WRITE)
    server.status = McpServerStatus.DISCONNECTED
    # Sessions other processes hold under the old version are replaced (and their stdio process stopped)
    # at their next use, or closed when idle.
    server.config_version += 1
    _audit(db_session, "mcp_server.disconnected", server, principal.user_id)
    return to_read(server)


def cached_tools(db_session: Session, *, server_id: uuid.UUID) -> tuple[list[dict[str, Any]], Any]:
    server = db_session.get(McpServer, server_id)
    if server is None:
        return [], None
    return list(server.tools or []), server.tools_fetched_at
