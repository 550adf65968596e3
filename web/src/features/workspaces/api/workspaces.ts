import { api, unwrap } from "@/lib/api/client";
import type { Role } from "../types";

const ws = (workspaceId: string) => ({ params: { path: { workspace_id: workspaceId } } });

export const listWorkspaces = () => unwrap(api.GET("/api/v1/workspaces"));
export const createWorkspace = (body: { name: string; description?: string | null }) =>
  unwrap(api.POST("/api/v1/workspaces", { body }));
export const listMembers = (workspaceId: string) => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/members", ws(workspaceId)));
export const changeRole = (workspaceId: string, userId: string, role: Role) =>
  unwrap(
    api.PATCH("/api/v1/workspaces/{workspace_id}/members/{user_id}", {
      params: { path: { workspace_id: workspaceId, user_id: userId } },
      body: { role },
    }),
  );
export const removeMember = (workspaceId: string, userId: string) =>
  unwrap(
    api.DELETE("/api/v1/workspaces/{workspace_id}/members/{user_id}", {
      params: { path: { workspace_id: workspaceId, user_id: userId } },
    }),
  );
export const invite = (workspaceId: string, email: string, role: Role) =>
  unwrap(api.POST("/api/v1/workspaces/{workspace_id}/invite", { ...ws(workspaceId), body: { email, role } }));
export const listWorkspaceInvitations = (workspaceId: string) =>
  unwrap(api.GET("/api/v1/workspaces/{workspace_id}/invitations", ws(workspaceId)));
export const revokeInvitation = (workspaceId: string, invitationId: string) =>
  unwrap(
    api.DELETE("/api/v1/workspaces/{workspace_id}/invitations/{invitation_id}", {
      params: { path: { workspace_id: workspaceId, invitation_id: invitationId } },
    }),
  );
export const listMyInvitations = () => unwrap(api.GET("/api/v1/invitations"));
export const acceptInvitation = (token: string) =>
  unwrap(api.POST("/api/v1/invitations/{token}/accept", { params: { path: { token } } }));
