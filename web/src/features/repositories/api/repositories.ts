import { api, unwrap } from "@/lib/api/client";
import type { RepositoryConnect } from "../types";

export const listProjectRepositories = (projectId: string) =>
  unwrap(api.GET("/api/v1/code/projects/{project_id}/repos", { params: { path: { project_id: projectId } } }));

export const repositoryStatus = (repoId: string) => unwrap(api.GET("/api/v1/code/repos/{repo_id}/status", { params: { path: { repo_id: repoId } } }));

export const connectRepository = (body: RepositoryConnect) => unwrap(api.POST("/api/v1/code/connect", { body }));

export const syncRepository = (repoId: string) => unwrap(api.POST("/api/v1/code/repos/{repo_id}/sync", { params: { path: { repo_id: repoId } } }));

export const disconnectRepository = (repoId: string) =>
  unwrap(api.DELETE("/api/v1/code/repos/{repo_id}", { params: { path: { repo_id: repoId } } }));
