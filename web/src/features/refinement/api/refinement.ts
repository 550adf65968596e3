import { api, unwrap } from "@/lib/api/client";
import type { AnswerIn } from "../types";

const project = (projectId: string) => ({ params: { path: { project_id: projectId } } });

export const listSessions = (projectId: string) => unwrap(api.GET("/api/v1/projects/{project_id}/qa-sessions", project(projectId)));

export const refine = (projectId: string, answers: AnswerIn[]) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/refine", { ...project(projectId), body: { answers, max_questions: 5, max_rounds: 10 } }));

export const projectStatus = (projectId: string) => unwrap(api.GET("/api/v1/projects/{project_id}/status", project(projectId)));
