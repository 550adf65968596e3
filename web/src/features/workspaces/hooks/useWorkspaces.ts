import { useEffect } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useWorkspaceContext } from "@/lib/workspace";
import * as workspaces from "../api/workspaces";
import type { Role, Workspace } from "../types";

export const workspaceKeys = {
  all: ["workspaces"] as const,
  members: (id: string) => ["workspaces", id, "members"] as const,
  invitations: (id: string) => ["workspaces", id, "invitations"] as const,
  mine: ["invitations", "mine"] as const,
};

export const useWorkspaces = () => useQuery({ queryKey: workspaceKeys.all, queryFn: workspaces.listWorkspaces });

/** The workspace in use: the remembered one if I am still a member, else my personal one. */
export function useCurrentWorkspace(): { workspace: Workspace | null; isPending: boolean; error: unknown } {
  const list = useWorkspaces();
  const { workspaceId, setWorkspaceId } = useWorkspaceContext();
  const items = list.data?.items ?? [];
  const chosen = items.find((w) => w.id === workspaceId) ?? items.find((w) => w.is_personal) ?? items[0] ?? null;
  useEffect(() => {
    if (chosen && chosen.id !== workspaceId) setWorkspaceId(chosen.id);
  }, [chosen, workspaceId, setWorkspaceId]);
  return { workspace: chosen, isPending: list.isPending, error: list.error };
}

export function useCreateWorkspace() {
  const client = useQueryClient();
  const { setWorkspaceId } = useWorkspaceContext();
  return useMutation({
    mutationFn: workspaces.createWorkspace,
    onSuccess: async (created) => {
      await client.invalidateQueries({ queryKey: workspaceKeys.all });
      setWorkspaceId(created.id);
    },
  });
}

export const useMembers = (workspaceId: string) =>
  useQuery({ queryKey: workspaceKeys.members(workspaceId), queryFn: () => workspaces.listMembers(workspaceId) });

export function useChangeRole(workspaceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) => workspaces.changeRole(workspaceId, userId, role),
    onSettled: () => client.invalidateQueries({ queryKey: workspaceKeys.members(workspaceId) }),
  });
}

export function useRemoveMember(workspaceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => workspaces.removeMember(workspaceId, userId),
    onSuccess: () => client.invalidateQueries({ queryKey: workspaceKeys.members(workspaceId) }),
  });
}

export const useWorkspaceInvitations = (workspaceId: string, enabled: boolean) =>
  useQuery({ queryKey: workspaceKeys.invitations(workspaceId), queryFn: () => workspaces.listWorkspaceInvitations(workspaceId), enabled });

export function useInvite(workspaceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ email, role }: { email: string; role: Role }) => workspaces.invite(workspaceId, email, role),
    onSuccess: () => client.invalidateQueries({ queryKey: workspaceKeys.invitations(workspaceId) }),
  });
}

export function useRevokeInvitation(workspaceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (invitationId: string) => workspaces.revokeInvitation(workspaceId, invitationId),
    onSuccess: () => client.invalidateQueries({ queryKey: workspaceKeys.invitations(workspaceId) }),
  });
}

export const useMyInvitations = () => useQuery({ queryKey: workspaceKeys.mine, queryFn: workspaces.listMyInvitations });

export function useAcceptInvitation() {
  const client = useQueryClient();
  const { setWorkspaceId } = useWorkspaceContext();
  return useMutation({
    mutationFn: workspaces.acceptInvitation,
    onSuccess: async (workspace) => {
      await client.invalidateQueries({ queryKey: workspaceKeys.all });
      await client.invalidateQueries({ queryKey: workspaceKeys.mine });
      setWorkspaceId(workspace.id);
    },
  });
}
