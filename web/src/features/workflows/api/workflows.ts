import { api, unwrap } from "@/lib/api/client";
import type { Connection, WorkflowDiff, WorkflowNode, WorkflowStatus } from "../types";

const wf = (workflowId: string) => ({ params: { path: { workflow_id: workflowId } } });

export interface WorkflowContent {
  name: string;
  description: string | null;
  nodes: WorkflowNode[];
  connections: Connection[];
  settings: Record<string, unknown>;
  tags: string[];
}

export const listNodeTypes = () => unwrap(api.GET("/api/v1/node-types"));

export const listWorkflows = (query: { workspaceId: string | null; status?: string; tag?: string; search?: string }) =>
  unwrap(
    api.GET("/api/v1/workflows", {
      params: {
        query: {
          ...(query.workspaceId ? { workspace_id: query.workspaceId } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.tag ? { tag: query.tag } : {}),
          ...(query.search ? { search: query.search } : {}),
          limit: 200,
        },
      },
    }),
  );

export const getWorkflow = (workflowId: string) => unwrap(api.GET("/api/v1/workflows/{workflow_id}", wf(workflowId)));

export const createWorkflow = (workspaceId: string | null, content: WorkflowContent) =>
  unwrap(api.POST("/api/v1/workflows", { body: { ...content, nodes: content.nodes as unknown as Record<string, unknown>[], connections: content.connections as unknown as Record<string, unknown>[], workspace_id: workspaceId, is_public: false } }));

export const updateWorkflow = (workflowId: string, content: WorkflowContent, changeNote: string | null) =>
  unwrap(
    api.PUT("/api/v1/workflows/{workflow_id}", {
      ...wf(workflowId),
      body: { ...content, nodes: content.nodes as unknown as Record<string, unknown>[], connections: content.connections as unknown as Record<string, unknown>[], change_note: changeNote },
    }),
  );

export const setWorkflowStatus = (workflowId: string, status: WorkflowStatus) =>
  unwrap(api.PATCH("/api/v1/workflows/{workflow_id}/status", { ...wf(workflowId), body: { status } }));

export const deleteWorkflow = (workflowId: string) => unwrap(api.DELETE("/api/v1/workflows/{workflow_id}", wf(workflowId)));

export const listVersions = (workflowId: string) => unwrap(api.GET("/api/v1/workflows/{workflow_id}/versions", wf(workflowId)));

export const diffVersions = async (workflowId: string, from: number, to: number) =>
  (await unwrap(api.GET("/api/v1/workflows/{workflow_id}/diff", { params: { path: { workflow_id: workflowId }, query: { from, to } } }))) as unknown as WorkflowDiff;

export const restoreVersion = (workflowId: string, version: number) =>
  unwrap(api.POST("/api/v1/workflows/{workflow_id}/versions/{version}/restore", { params: { path: { workflow_id: workflowId, version } } }));

export const startExecution = (workflowId: string, triggerData: Record<string, unknown>, triggerNodeId: string | null) =>
  unwrap(api.POST("/api/v1/executions", { body: { workflow_id: workflowId, trigger_type: "manual", trigger_node_id: triggerNodeId, trigger_data: triggerData } }));

export interface Choice {
  value: string;
  label: string;
}

/** What an id field of a node's config can point at, as choices for a select (agents, workflows, MCP servers). */
export async function idChoices(kind: "agent" | "workflow" | "mcp", workspaceId: string): Promise<Choice[]> {
  const query = { params: { query: { workspace_id: workspaceId, limit: 200 } } };
  if (kind === "agent") return (await unwrap(api.GET("/api/v1/agents", query))).items.map((a) => ({ value: a.id, label: a.model ? `${a.name} (${a.model})` : a.name }));
  if (kind === "mcp") return (await unwrap(api.GET("/api/v1/mcp/servers", query))).items.map((s) => ({ value: s.id, label: s.name }));
  return (await unwrap(api.GET("/api/v1/workflows", query))).items.map((w) => ({ value: w.id, label: w.name }));
}
