import { api, unwrap } from "@/lib/api/client";
import { ApiError, toApiError } from "@/lib/api/errors";
import type { FormatName, RequirementIn } from "../types";

const project = (projectId: string) => ({ params: { path: { project_id: projectId } } });

export const listRequirements = (projectId: string) => unwrap(api.GET("/api/v1/projects/{project_id}/requirements", project(projectId)));

export const upsertRequirements = (projectId: string, requirements: RequirementIn[]) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/requirements/bulk", { ...project(projectId), body: { requirements } }));

export const importRequirements = (projectId: string, body: { content: string; format: FormatName | null; filename: string | null }) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/requirements/import", { ...project(projectId), body }));

export const listVersions = (projectId: string, code: string) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/requirements/{code}/versions", { params: { path: { project_id: projectId, code } } }));

export async function exportRequirements(projectId: string, format: FormatName): Promise<string> {
  const { data, error, response } = await api.GET("/api/v1/projects/{project_id}/requirements/export", {
    params: { path: { project_id: projectId }, query: { format } },
    parseAs: "text",
  });
  if (!response.ok) throw toApiError(response.status, typeof error === "string" ? safeJson(error) : error);
  if (typeof data !== "string") throw new ApiError(500, { error: "bad_export", message: "The export came back empty." });
  return data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
