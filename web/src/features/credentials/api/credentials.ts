import { api, unwrap } from "@/lib/api/client";
import type { CredentialKind } from "../types";

export const listCredentials = (workspaceId: string) =>
  unwrap(api.GET("/api/v1/workspaces/{workspace_id}/credentials", { params: { path: { workspace_id: workspaceId }, query: { limit: 200 } } }));

export const createCredential = (workspaceId: string, body: { name: string; kind: CredentialKind; provider: string | null; value: string }) =>
  unwrap(api.POST("/api/v1/workspaces/{workspace_id}/credentials", { params: { path: { workspace_id: workspaceId } }, body }));

export const deleteCredential = (workspaceId: string, credentialId: string) =>
  unwrap(
    api.DELETE("/api/v1/workspaces/{workspace_id}/credentials/{credential_id}", {
      params: { path: { workspace_id: workspaceId, credential_id: credentialId } },
    }),
  );
