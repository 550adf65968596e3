import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import * as credentials from "../api/credentials";
import type { CredentialKind } from "../types";

const key = (workspaceId: string) => ["workspaces", workspaceId, "credentials"] as const;

export const useCredentials = (workspaceId: string) => useQuery({ queryKey: key(workspaceId), queryFn: () => credentials.listCredentials(workspaceId) });

export function useCreateCredential(workspaceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; kind: CredentialKind; provider: string | null; value: string }) => credentials.createCredential(workspaceId, body),
    onSuccess: () => client.invalidateQueries({ queryKey: key(workspaceId) }),
  });
}

export function useDeleteCredential(workspaceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (credentialId: string) => credentials.deleteCredential(workspaceId, credentialId),
    onSuccess: () => client.invalidateQueries({ queryKey: key(workspaceId) }),
  });
}
