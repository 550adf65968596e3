import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import * as workflows from "../api/workflows";
import type { WorkflowContent } from "../api/workflows";
import type { WorkflowStatus } from "../types";

export const workflowKeys = {
  all: ["workflows"] as const,
  list: (filters: object) => ["workflows", "list", filters] as const,
  one: (id: string) => ["workflows", id] as const,
  versions: (id: string) => ["workflows", id, "versions"] as const,
  diff: (id: string, from: number, to: number) => ["workflows", id, "diff", from, to] as const,
  nodeTypes: ["node-types"] as const,
};

export const useNodeTypes = () => useQuery({ queryKey: workflowKeys.nodeTypes, queryFn: workflows.listNodeTypes, staleTime: Infinity });

export const useWorkflows = (filters: { workspaceId: string | null; status?: string; tag?: string; search?: string }) =>
  useQuery({ queryKey: workflowKeys.list(filters), queryFn: () => workflows.listWorkflows(filters), enabled: filters.workspaceId !== null });

export const useWorkflow = (id: string | undefined) =>
  useQuery({ queryKey: workflowKeys.one(id ?? "new"), queryFn: () => workflows.getWorkflow(id ?? ""), enabled: Boolean(id) });

export const useVersions = (id: string) => useQuery({ queryKey: workflowKeys.versions(id), queryFn: () => workflows.listVersions(id) });

export const useDiff = (id: string, from: number | null, to: number | null) =>
  useQuery({
    queryKey: workflowKeys.diff(id, from ?? 0, to ?? 0),
    queryFn: () => workflows.diffVersions(id, from ?? 0, to ?? 0),
    enabled: from !== null && to !== null && from !== to,
  });

export function useSaveWorkflow(workspaceId: string | null) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, content, changeNote }: { id: string | null; content: WorkflowContent; changeNote: string | null }) =>
      id ? workflows.updateWorkflow(id, content, changeNote) : workflows.createWorkflow(workspaceId, content),
    onSuccess: (saved) => {
      client.setQueryData(workflowKeys.one(saved.id), saved);
      void client.invalidateQueries({ queryKey: ["workflows", "list"] });
      void client.invalidateQueries({ queryKey: workflowKeys.versions(saved.id) });
    },
  });
}

export function useWorkflowStatus(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (status: WorkflowStatus) => workflows.setWorkflowStatus(id, status),
    onSuccess: (saved) => {
      client.setQueryData(workflowKeys.one(saved.id), saved);
      void client.invalidateQueries({ queryKey: ["workflows", "list"] });
    },
  });
}

export function useRestoreVersion(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (version: number) => workflows.restoreVersion(id, version),
    onSuccess: (saved) => {
      client.setQueryData(workflowKeys.one(saved.id), saved);
      void client.invalidateQueries({ queryKey: workflowKeys.all });
    },
  });
}

export function useDeleteWorkflow() {
  const client = useQueryClient();
  return useMutation({ mutationFn: workflows.deleteWorkflow, onSuccess: () => client.invalidateQueries({ queryKey: ["workflows", "list"] }) });
}

export const useStartExecution = (id: string) =>
  useMutation({ mutationFn: ({ input, trigger }: { input: Record<string, unknown>; trigger: string | null }) => workflows.startExecution(id, input, trigger) });

/** Choices for the id fields of the selected node's config: agent_id, workflow_id, server_id. */
const ID_FIELDS: Record<string, { field: string; kind: "agent" | "workflow" | "mcp" }> = {
  agent: { field: "agent_id", kind: "agent" },
  subworkflow: { field: "workflow_id", kind: "workflow" },
  mcp_tool: { field: "server_id", kind: "mcp" },
};

export function useIdChoices(nodeType: string, workspaceId: string | null) {
  const spec = ID_FIELDS[nodeType];
  const query = useQuery({
    queryKey: ["id-choices", spec?.kind, workspaceId],
    queryFn: () => workflows.idChoices(spec!.kind, workspaceId!),
    enabled: Boolean(spec && workspaceId),
  });
  return spec && query.data ? { [spec.field]: query.data } : undefined;
}
