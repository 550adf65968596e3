import { api, unwrap } from "@/lib/api/client";

const project = (projectId: string) => ({ params: { path: { project_id: projectId } } });

export const getValidationResults = (projectId: string) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/validation-results", { params: { path: { project_id: projectId }, query: { limit: 20 } } }));

export const requestValidation = (projectId: string) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/validate-code", { ...project(projectId), body: { request_id: crypto.randomUUID() } }));

/** The requirement texts, to show next to their codes in the report. */
export const listRequirementTexts = (projectId: string) => unwrap(api.GET("/api/v1/projects/{project_id}/requirements", project(projectId)));

/** The gateway step that accepts the results (CODE_VALIDATED -> PLAN_READY; the server checks the score is above 70%). */
export const approveValidation = (projectId: string) =>
  unwrap(
    api.POST("/api/v1/projects/{project_id}/gateway", {
      ...project(projectId),
      body: { action: "approve_validation", force: false, reason: null, request_id: crypto.randomUUID() },
    }),
  );
