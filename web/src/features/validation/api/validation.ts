import { api, unwrap } from "@/lib/api/client";

const project = (projectId: string) => ({ params: { path: { project_id: projectId } } });

export const getValidationResults = (projectId: string) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/validation-results", { params: { path: { project_id: projectId }, query: { limit: 20 } } }));

export const requestValidation = (projectId: string) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/validate-code", { ...project(projectId), body: { request_id: crypto.randomUUID() } }));

/** The requirement texts, to show next to their codes in the report. */
export const listRequirementTexts = (projectId: string) => unwrap(api.GET("/api/v1/projects/{project_id}/requirements", project(projectId)));
