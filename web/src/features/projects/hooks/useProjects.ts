import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { projectScope } from "@/lib/queryKeys";
import * as projects from "../api/projects";

export const projectKeys = {
  list: (workspaceId: string | null) => ["projects", "list", workspaceId] as const,
  one: (id: string) => ["projects", id] as const,
  status: (id: string) => ["projects", id, "status"] as const,
  audit: (id: string) => ["projects", id, "audit"] as const,
};

export const useProjects = (workspaceId: string | null) =>
  useQuery({ queryKey: projectKeys.list(workspaceId), queryFn: () => projects.listProjects(workspaceId), enabled: workspaceId !== null });
export const useProject = (id: string) => useQuery({ queryKey: projectKeys.one(id), queryFn: () => projects.getProject(id) });
export const useProjectStatus = (id: string) => useQuery({ queryKey: projectKeys.status(id), queryFn: () => projects.getStatus(id) });
export const useProjectAudit = (id: string) => useQuery({ queryKey: projectKeys.audit(id), queryFn: () => projects.getAudit(id) });

export function useCreateProject() {
  const client = useQueryClient();
  return useMutation({ mutationFn: projects.createProject, onSuccess: () => client.invalidateQueries({ queryKey: ["projects", "list"] }) });
}

/** A gateway transition; afterwards everything about the project is stale (state, audit, refinement). */
export function useGateway(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { action: string; force?: boolean; reason?: string | null }) => projects.runGateway(projectId, body),
    onSuccess: () => client.invalidateQueries({ queryKey: projectScope(projectId) }),
  });
}

export function useDeleteProject() {
  const client = useQueryClient();
  return useMutation({ mutationFn: projects.deleteProject, onSuccess: () => client.invalidateQueries({ queryKey: ["projects", "list"] }) });
}
