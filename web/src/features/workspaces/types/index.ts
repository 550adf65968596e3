import type { components } from "@/lib/api/schema";

export type Workspace = components["schemas"]["WorkspaceRead"];
export type Member = components["schemas"]["MemberRead"];
export type Invitation = components["schemas"]["InvitationRead"];
export type InvitationCreated = components["schemas"]["InvitationCreated"];
export type Role = components["schemas"]["Role"];

export const ROLES: Role[] = ["owner", "admin", "editor", "viewer"];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: "Everything, including deleting the workspace",
  admin: "Manage members, settings and credentials",
  editor: "Create, edit, delete and run",
  viewer: "Read only",
};

export function canManageMembers(role: Role | null | undefined): boolean {
  return role === "owner" || role === "admin";
}
