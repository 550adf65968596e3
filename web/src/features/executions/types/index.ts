import type { components } from "@/lib/api/schema";

export type Execution = components["schemas"]["ExecutionRead"];
export type NodeRun = components["schemas"]["NodeExecutionRead"];
export type ExecutionLog = components["schemas"]["ExecutionLogRead"];

export const EXECUTION_STATUSES = ["pending", "running", "waiting", "completed", "failed", "cancelled"] as const;
export const ACTIVE = new Set(["pending", "running", "waiting"]);
export const FINISHED = new Set(["completed", "failed", "cancelled"]);

export const STATUS_TONE: Record<string, "neutral" | "info" | "success" | "warning" | "danger" | "accent"> = {
  pending: "neutral",
  running: "info",
  retrying: "warning",
  waiting: "accent",
  completed: "success",
  failed: "danger",
  cancelled: "neutral",
};
