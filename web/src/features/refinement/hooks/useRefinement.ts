import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { projectScope, refinementKey } from "@/lib/queryKeys";
import * as refinement from "../api/refinement";
import type { AnswerIn } from "../types";

export const useSessions = (projectId: string) => useQuery({ queryKey: refinementKey(projectId), queryFn: () => refinement.listSessions(projectId) });

export const useProjectStatus = (projectId: string) =>
  useQuery({ queryKey: [...projectScope(projectId), "status"], queryFn: () => refinement.projectStatus(projectId) });

/** Send answers (or none, to open a round); requirements, scores and status all change. */
export function useRefine(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (answers: AnswerIn[]) => refinement.refine(projectId, answers),
    onSuccess: () => client.invalidateQueries({ queryKey: projectScope(projectId) }),
  });
}
