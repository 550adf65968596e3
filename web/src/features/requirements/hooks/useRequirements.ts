import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { projectScope, requirementsKey } from "@/lib/queryKeys";
import * as requirements from "../api/requirements";
import type { FormatName, RequirementIn } from "../types";

export const useRequirements = (projectId: string) =>
  useQuery({ queryKey: requirementsKey(projectId), queryFn: () => requirements.listRequirements(projectId) });

export const useVersions = (projectId: string, code: string) =>
  useQuery({ queryKey: [...requirementsKey(projectId), code, "versions"], queryFn: () => requirements.listVersions(projectId, code) });

/** Any change to requirements also changes the project's scores, status and audit trail. */
function useInvalidateProject(projectId: string) {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: projectScope(projectId) });
}

export function useUpsert(projectId: string) {
  const invalidate = useInvalidateProject(projectId);
  return useMutation({ mutationFn: (items: RequirementIn[]) => requirements.upsertRequirements(projectId, items), onSuccess: invalidate });
}

export function useImport(projectId: string) {
  const invalidate = useInvalidateProject(projectId);
  return useMutation({
    mutationFn: (body: { content: string; format: FormatName | null; filename: string | null }) => requirements.importRequirements(projectId, body),
    onSuccess: invalidate,
  });
}
