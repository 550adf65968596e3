import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import * as executions from "../api/executions";
import { ACTIVE } from "../types";

export const executionKeys = {
  list: (filters: object) => ["executions", "list", filters] as const,
  one: (id: string) => ["executions", id] as const,
  nodes: (id: string) => ["executions", id, "nodes"] as const,
  logs: (id: string) => ["executions", id, "logs"] as const,
};

export const useExecutions = (filters: { workspaceId: string | null; status?: string; workflowId?: string; offset?: number }) =>
  useQuery({
    queryKey: executionKeys.list(filters),
    queryFn: () => executions.listExecutions(filters),
    enabled: filters.workspaceId !== null,
    // The list refreshes itself while any run on it is still going.
    refetchInterval: (query) => (query.state.data?.items.some((e) => ACTIVE.has(e.status)) ? 3000 : false),
  });

export const useExecution = (id: string) => useQuery({ queryKey: executionKeys.one(id), queryFn: () => executions.getExecution(id) });
export const useNodeRuns = (id: string) => useQuery({ queryKey: executionKeys.nodes(id), queryFn: () => executions.getNodeRuns(id) });
export const useLogs = (id: string) => useQuery({ queryKey: executionKeys.logs(id), queryFn: () => executions.getLogs(id) });

export const useWorkflowNames = (workspaceId: string | null) =>
  useQuery({ queryKey: ["workflows", "list", { workspaceId, names: true }], queryFn: () => executions.listWorkflowNames(workspaceId), enabled: workspaceId !== null });

export const usePinnedVersion = (workflowId: string | undefined, version: number | undefined) =>
  useQuery({
    queryKey: ["workflows", workflowId, "versions", version],
    queryFn: () => executions.getWorkflowVersion(workflowId ?? "", version ?? 1),
    enabled: Boolean(workflowId && version),
    staleTime: Infinity,
  });

export const useNodeTypes = () => useQuery({ queryKey: ["node-types"], queryFn: executions.listNodeTypes, staleTime: Infinity });

/** A control (cancel, retry, re-run, approve, reject); afterwards the execution's rows are re-read. */
export function useControl<T>(id: string, fn: (arg: T) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["executions", id] });
      void client.invalidateQueries({ queryKey: ["executions", "list"] });
    },
  });
}
