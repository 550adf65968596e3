import { api, unwrap } from "@/lib/api/client";
import { ApiError, toApiError } from "@/lib/api/errors";
import type { TaskStatus } from "../types";

const project = (projectId: string) => ({ params: { path: { project_id: projectId } } });
const task = (projectId: string, taskId: string) => ({ params: { path: { project_id: projectId, task_id: taskId } } });

export const getPlan = (projectId: string) => unwrap(api.GET("/api/v1/projects/{project_id}/plan", project(projectId)));
export const createPlan = (projectId: string) => unwrap(api.POST("/api/v1/projects/{project_id}/plan", { ...project(projectId), body: { seed: 0 } }));
export const listTasks = (projectId: string) => unwrap(api.GET("/api/v1/projects/{project_id}/tasks", project(projectId)));
export const getTask = (projectId: string, taskId: string) => unwrap(api.GET("/api/v1/projects/{project_id}/tasks/{task_id}", task(projectId, taskId)));
export const setTaskStatus = (projectId: string, taskId: string, status: Exclude<TaskStatus, "done">, note: string | null) =>
  unwrap(api.PATCH("/api/v1/projects/{project_id}/tasks/{task_id}", { ...task(projectId, taskId), body: { status, note } }));
export const reportDone = (projectId: string, taskId: string, note: string | null) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/tasks/{task_id}/done", { ...task(projectId, taskId), body: { note } }));

export const listPrompts = (projectId: string, taskId?: string) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/prompts", { params: { path: { project_id: projectId }, query: taskId ? { task_id: taskId } : {} } }));
export const generatePrompts = (projectId: string) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/prompts", { ...project(projectId), body: { request_id: crypto.randomUUID() } }));

/** The export as a file: a Markdown bundle, JSON, or tasks.md. */
export async function exportPrompts(projectId: string, format: "markdown" | "json" | "tasks"): Promise<{ text: string; filename: string }> {
  const { data, error, response } = await api.GET("/api/v1/projects/{project_id}/prompts/export", {
    params: { path: { project_id: projectId }, query: { format } },
    parseAs: "text",
  });
  if (!response.ok) throw toApiError(response.status, typeof error === "string" ? safeJson(error) : error);
  if (typeof data !== "string") throw new ApiError(500, { error: "bad_export", message: "The export came back empty." });
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `prompts.${format === "json" ? "json" : "md"}`;
  return { text: data, filename };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
