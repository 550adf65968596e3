import { api, unwrap } from "@/lib/api/client";
import { ApiError, toApiError } from "@/lib/api/errors";
import type { TraceMatrix } from "../types";

export async function getMatrix(projectId: string): Promise<TraceMatrix> {
  const data: unknown = await unwrap(api.GET("/api/v1/projects/{project_id}/traceability", { params: { path: { project_id: projectId }, query: { format: "json" } } }));
  return data as TraceMatrix;
}

export async function getCsv(projectId: string): Promise<string> {
  const { data, error, response } = await api.GET("/api/v1/projects/{project_id}/traceability", {
    params: { path: { project_id: projectId }, query: { format: "csv" } },
    parseAs: "text",
  });
  if (!response.ok) throw toApiError(response.status, error);
  if (typeof data !== "string") throw new ApiError(500, { error: "bad_export", message: "The CSV came back empty." });
  return data;
}
