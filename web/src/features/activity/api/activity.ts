import { api, unwrap } from "@/lib/api/client";

export const PAGE_SIZE = 25;

export const listActivity = (workspaceId: string, offset: number) =>
  unwrap(api.GET("/api/v1/activity", { params: { query: { workspace_id: workspaceId, limit: PAGE_SIZE, offset } } }));
