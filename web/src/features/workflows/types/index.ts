import type { components } from "@/lib/api/schema";

export type Workflow = components["schemas"]["WorkflowRead"];
export type WorkflowVersion = components["schemas"]["WorkflowVersionRead"];
export type { Connection, NodeType, WorkflowNode } from "@/components/flow/graph";
import type { Connection, WorkflowNode } from "@/components/flow/graph";

/** One entry of a 422 `invalid_workflow` answer: `{node_id, field, message}`. */
export interface Problem {
  node_id: string | null;
  field: string | null;
  message: string;
}

export interface WorkflowDiff {
  nodes_added: WorkflowNode[];
  nodes_removed: WorkflowNode[];
  nodes_changed: { id: string; fields: string[]; before: Record<string, unknown>; after: Record<string, unknown> }[];
  connections_added: Connection[];
  connections_removed: Connection[];
  fields_changed: Record<string, { before: unknown; after: unknown }>;
}

export const WORKFLOW_STATUSES = ["draft", "published", "archived"] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

export const CATEGORY_ORDER = ["trigger", "logic", "action", "agent", "integration"];
export const CATEGORY_LABELS: Record<string, string> = {
  trigger: "Triggers",
  logic: "Logic",
  action: "Actions",
  agent: "AI",
  integration: "Integrations",
};

export const STATUS_TONES: Record<string, "neutral" | "success" | "warning"> = { draft: "neutral", published: "success", archived: "warning" };
