import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { projectScope, requirementsKey } from "@/lib/queryKeys";
import * as validation from "../api/validation";
import { RUNNING } from "../types";

export const validationKey = (projectId: string) => [...projectScope(projectId), "validation"] as const;

const IN_FLIGHT_PROJECT = new Set(["CODE_VALIDATION_REQUESTED", "CODE_VALIDATING"]);

/** Latest run with its report and the history; polled every 1.5 s while a run is in flight. */
export function useValidationResults(projectId: string) {
  return useQuery({
    queryKey: validationKey(projectId),
    queryFn: () => validation.getValidationResults(projectId),
    refetchInterval: (query) => {
      const data = query.state.data;
      if (!data) return false;
      return (data.latest && RUNNING.has(data.latest.status)) || IN_FLIGHT_PROJECT.has(data.project_status) ? 1500 : false;
    },
  });
}

export function useRequirementTexts(projectId: string) {
  return useQuery({ queryKey: requirementsKey(projectId), queryFn: () => validation.listRequirementTexts(projectId) });
}

export function useRequestValidation(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => validation.requestValidation(projectId),
    onSuccess: () => client.invalidateQueries({ queryKey: projectScope(projectId) }),
  });
}

export function useApproveValidation(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => validation.approveValidation(projectId),
    onSuccess: () => client.invalidateQueries({ queryKey: projectScope(projectId) }),
  });
}
