import { api, unwrap } from "@/lib/api/client";

const ex = (executionId: string) => ({ params: { path: { execution_id: executionId } } });

export const listExecutions = (query: { workspaceId: string | null; status?: string; workflowId?: string; offset?: number }) =>
  unwrap(
    api.GET("/api/v1/executions", {
      params: {
        query: {
          ...(query.workspaceId ? { workspace_id: query.workspaceId } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.workflowId ? { workflow_id: query.workflowId } : {}),
          limit: 50,
          offset: query.offset ?? 0,
        },
      },
    }),
  );

export const getExecution = (id: string) => unwrap(api.GET("/api/v1/executions/{execution_id}", ex(id)));
export const getNodeRuns = (id: string) => unwrap(api.GET("/api/v1/executions/{execution_id}/nodes", ex(id)));
export const getLogs = (id: string) =>
  unwrap(api.GET("/api/v1/executions/{execution_id}/logs", { params: { path: { execution_id: id }, query: { limit: 1000 } } }));

export const cancelExecution = (id: string) => unwrap(api.POST("/api/v1/executions/{execution_id}/cancel", ex(id)));
export const retryExecution = (id: string) => unwrap(api.POST("/api/v1/executions/{execution_id}/retry", ex(id)));
export const rerunExecution = (id: string, fromNode: string) =>
  unwrap(api.POST("/api/v1/executions/{execution_id}/rerun", { ...ex(id), body: { from_node: fromNode } }));
export const decide = (id: string, approved: boolean, nodeId: string | null, comment: string | null) =>
  unwrap(
    approved
      ? api.POST("/api/v1/executions/{execution_id}/approve", { ...ex(id), body: { node_id: nodeId, comment } })
      : api.POST("/api/v1/executions/{execution_id}/reject", { ...ex(id), body: { node_id: nodeId, comment } }),
  );

/** The workflow's names for the list and filters, and the pinned version's graph for the live view. */
export const listWorkflowNames = (workspaceId: string | null) =>
  unwrap(api.GET("/api/v1/workflows", { params: { query: { ...(workspaceId ? { workspace_id: workspaceId } : {}), limit: 200 } } }));
export const getWorkflowVersion = (workflowId: string, version: number) =>
  unwrap(api.GET("/api/v1/workflows/{workflow_id}/versions/{version}", { params: { path: { workflow_id: workflowId, version } } }));
export const listNodeTypes = () => unwrap(api.GET("/api/v1/node-types"));
