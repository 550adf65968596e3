import { api, unwrap } from "@/lib/api/client";

const project = (projectId: string) => ({ params: { path: { project_id: projectId } } });

export const listProjects = (workspaceId: string | null) =>
  unwrap(api.GET("/api/v1/projects", { params: { query: { ...(workspaceId ? { workspace_id: workspaceId } : {}), limit: 200 } } }));

export const createProject = (body: { name: string; description: string | null; workspace_id: string | null }) =>
  unwrap(api.POST("/api/v1/projects", { body: { ...body, metadata: {} } }));

export const getProject = (projectId: string) => unwrap(api.GET("/api/v1/projects/{project_id}", project(projectId)));
export const getStatus = (projectId: string) => unwrap(api.GET("/api/v1/projects/{project_id}/status", project(projectId)));
export const getAudit = (projectId: string) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/audit", { params: { path: { project_id: projectId }, query: { limit: 100 } } }));

export const runGateway = (projectId: string, body: { action: string; force?: boolean; reason?: string | null }) =>
  unwrap(
    api.POST("/api/v1/projects/{project_id}/gateway", {
      ...project(projectId),
      body: { action: body.action, force: body.force ?? false, reason: body.reason ?? null, request_id: crypto.randomUUID() },
    }),
  );

export const deleteProject = (projectId: string) => unwrap(api.DELETE("/api/v1/projects/{project_id}", project(projectId)));
