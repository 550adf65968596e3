"""`/api/v1/mcp/servers` (seed 004): register MCP servers, connect and disconnect them, list their tools.

No route returns an env or header value: names only, values masked.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import Db, ReadDb, utcnow
from trellis.core.key_providers import key_provider_for
from trellis.mcp import client, service
from trellis.mcp.errors import McpError
from trellis.mcp.models import McpServerStatus, McpTransport
from trellis.mcp.schemas import McpServerCreate, McpServerList, McpServerRead, McpServerUpdate, McpToolList, McpToolRead
from trellis.workspaces.permissions import Permission

router = APIRouter(prefix="/mcp/servers", tags=["mcp"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such MCP server, or it is in a workspace you are not a member of."}
}
_WRITE: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    403: {"description": "Viewers cannot change servers; stdio servers need a workspace owner or admin."},
    422: {"description": "Invalid fields (the body names each one)."},
}
_CONNECT: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    502: {"description": "The server could not be started or reached; its status is now `error`."},
    504: {"description": "The server did not complete the handshake in time; its status is now `error`."},
}


def _settings(request: Request) -> Any:
    return request.app.state.settings


@router.get("", response_model=McpServerList)
async def list_servers(
    principal: CurrentPrincipal,
    db: ReadDb,
    workspace_id: uuid.UUID | None = None,
    type: McpTransport | None = None,
    status: McpServerStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> McpServerList:
    return await db.run(
        lambda s: service.list_servers(
            s, principal=principal, workspace_id=workspace_id, transport=type, status=status, limit=limit, offset=offset
        )
    )


@router.post("", response_model=McpServerRead, status_code=201, responses=_WRITE)
async def create_server(
    body: McpServerCreate, principal: CurrentPrincipal, request: Request, response: Response, db: Db
) -> McpServerRead:
    settings = _settings(request)
    created = await db.run(
        lambda s: service.create_server(
            s,
            principal=principal,
            data=body,
            allow_stdio=settings.mcp_allow_stdio,
            key_provider=key_provider_for(settings),
        )
    )
    response.headers["Location"] = f"/api/v1/mcp/servers/{created.id}"
    return created


@router.get("/{server_id}", response_model=McpServerRead, responses=_NOT_FOUND)
async def read_server(server_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> McpServerRead:
    return await db.run(lambda s: service.get_server(s, principal=principal, server_id=server_id))


@router.put("/{server_id}", response_model=McpServerRead, responses={**_WRITE, 409: {"description": "Name taken."}})
async def update_server(
    server_id: uuid.UUID, body: McpServerUpdate, principal: CurrentPrincipal, request: Request, db: Db
) -> McpServerRead:
    """Change the given fields (others keep their value). An env or header value of `***` keeps the stored one.

    Changing how the server is reached closes this process's session and sets the status to
    `disconnected`; connect again to use the new settings.
    """
    settings = _settings(request)
    updated, connection_changed = await db.run(
        lambda s: service.update_server(
            s,
            principal=principal,
            server_id=server_id,
            data=body,
            allow_stdio=settings.mcp_allow_stdio,
            key_provider=key_provider_for(settings),
        )
    )
    if connection_changed:
        await client.disconnect_server(str(server_id))
    return updated


@router.delete("/{server_id}", status_code=204, response_class=Response, responses=_WRITE)
async def delete_server(server_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> Response:
    await db.run(lambda s: service.delete_server(s, principal=principal, server_id=server_id))
    await client.disconnect_server(str(server_id))
    return Response(status_code=204)


@router.post("/{server_id}/connect", response_model=McpServerRead, responses=_CONNECT)
async def connect_server(server_id: uuid.UUID, principal: CurrentPrincipal, request: Request, db: Db) -> McpServerRead:
    """Start (stdio) or reach the server, run the MCP handshake, and store its capabilities and tools."""
    key_provider = key_provider_for(_settings(request))
    read, config = await db.run(
        lambda s: service.config_for(
            s, principal=principal, server_id=server_id, permission=Permission.WRITE, key_provider=key_provider
        )
    )
    try:
        snapshot = await client.connect_server(config)
    except McpError as exc:
        message = exc.message
        await db.run(
            lambda s: service.record_failure(
                s, server_id=server_id, config_version=config.config_version, message=message
            )
        )
        raise
    recorded = await db.run(
        lambda s: service.record_connected(
            s, server_id=server_id, config_version=config.config_version, snapshot=snapshot, user_id=principal.user_id
        )
    )
    return recorded or read


@router.post("/{server_id}/disconnect", response_model=McpServerRead, responses=_NOT_FOUND)
async def disconnect_server(server_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> McpServerRead:
    """Close the session (a stdio server's process is stopped) and mark the server disconnected."""
    disconnected = await db.run(lambda s: service.record_disconnected(s, principal=principal, server_id=server_id))
    await client.disconnect_server(str(server_id))
    return disconnected


@router.get("/{server_id}/tools", response_model=McpToolList, responses=_NOT_FOUND)
async def list_tools(server_id: uuid.UUID, principal: CurrentPrincipal, request: Request, db: Db) -> McpToolList:
    """A connected server's tools from its live session (reopened if this process has none); otherwise
    the list stored at the last connect, with `source: "cache"`."""
    key_provider = key_provider_for(_settings(request))
    read, config = await db.run(
        lambda s: service.config_for(
            s, principal=principal, server_id=server_id, permission=Permission.READ, key_provider=key_provider
        )
    )
    status = read.status
    if status is McpServerStatus.CONNECTED:
        try:
            tools = await client.list_live_tools(config, open_if_closed=True)
        except McpError as exc:
            message = exc.message
            await db.run(
                lambda s: service.record_failure(
                    s, server_id=server_id, config_version=config.config_version, message=message
                )
            )
            status, tools = McpServerStatus.ERROR, None
        if tools is not None:
            live = tools
            await db.run(
                lambda s: service.record_tools(s, server_id=server_id, config_version=config.config_version, tools=live)
            )
            items = [McpToolRead.model_validate(tool) for tool in tools]
            return McpToolList(server_id=server_id, source="live", fetched_at=utcnow(), status=status, items=items)
    cached, fetched_at = await db.run(lambda s: service.cached_tools(s, server_id=server_id))
    items = [McpToolRead.model_validate(tool) for tool in cached]
    return McpToolList(server_id=server_id, source="cache", fetched_at=fetched_at, status=status, items=items)
