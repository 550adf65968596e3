import type { components } from "@/lib/api/schema";

export type PlanRead = components["schemas"]["PlanRead"];
export type Task = components["schemas"]["TaskRead"];
export type TaskDetail = components["schemas"]["TaskDetailRead"];
export type TaskList = components["schemas"]["TaskList"];
export type Prompt = components["schemas"]["PromptRead"];
export type DoneOutcome = components["schemas"]["DoneOutcome"];

/** The stored plan body (`Plan.as_dict()`, planning/types.py): the API types it as free JSON. */
export interface PlanPhase {
  key: string;
  name: string;
  description: string;
  task_ids: string[];
}

export interface PlanBody {
  phases: PlanPhase[];
  critical_path: string[];
  summary: string;
  warnings: string[];
  risks: { factor: string; probability: number; impact: number; mitigation: string }[];
  total_p50_hours: number;
  total_p85_hours: number;
}

export const TASK_STATUSES = ["pending", "in_progress", "review", "blocked", "done"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const STATUS_LABELS: Record<string, string> = {
  pending: "To do",
  in_progress: "In progress",
  review: "In review",
  blocked: "Blocked",
  done: "Done",
};

export const STATUS_TONE: Record<string, "neutral" | "info" | "success" | "warning" | "danger" | "accent"> = {
  pending: "neutral",
  in_progress: "info",
  review: "accent",
  blocked: "danger",
  done: "success",
};

export const PROMPT_CATEGORIES = ["implementation", "testing", "review", "documentation"] as const;

export function readPlan(raw: unknown): PlanBody {
  const body = (typeof raw === "object" && raw !== null ? raw : {}) as Partial<PlanBody>;
  return {
    phases: Array.isArray(body.phases) ? body.phases : [],
    critical_path: Array.isArray(body.critical_path) ? body.critical_path : [],
    summary: typeof body.summary === "string" ? body.summary : "",
    warnings: Array.isArray(body.warnings) ? body.warnings : [],
    risks: Array.isArray(body.risks) ? body.risks : [],
    total_p50_hours: body.total_p50_hours ?? 0,
    total_p85_hours: body.total_p85_hours ?? 0,
  };
}
