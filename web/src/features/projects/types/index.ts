import type { components } from "@/lib/api/schema";

export type Project = components["schemas"]["ProjectRead"];
export type ProjectStatus = components["schemas"]["ProjectStatusRead"];
export type GatewayResult = components["schemas"]["GatewayResponse"];
export type AuditRecord = components["schemas"]["AuditRecordRead"];

/** Seed 000's pipeline, in order; BLOCKED sits beside it. */
export const PIPELINE = [
  "DRAFT",
  "REQS_REFINING",
  "REQS_READY",
  "CODE_VALIDATION_REQUESTED",
  "CODE_VALIDATING",
  "CODE_VALIDATED",
  "PLAN_READY",
  "PLANNING",
  "PROMPTS_READY",
  "EXECUTING",
  "DONE",
] as const;

export const STATE_LABELS: Record<string, string> = {
  DRAFT: "Draft",
  REQS_REFINING: "Refining requirements",
  REQS_READY: "Requirements ready",
  CODE_VALIDATION_REQUESTED: "Validation requested",
  CODE_VALIDATING: "Validating code",
  CODE_VALIDATED: "Code validated",
  PLAN_READY: "Ready to plan",
  PLANNING: "Planning",
  PROMPTS_READY: "Prompts ready",
  EXECUTING: "Executing",
  DONE: "Done",
  BLOCKED: "Blocked",
};

export interface ActionInfo {
  label: string;
  description: string;
  tone: "primary" | "secondary" | "danger";
  /** Ask for a reason before running it. */
  needsReason?: boolean;
}

export const ACTIONS: Record<string, ActionInfo> = {
  initialize_requirements: { label: "Start refinement", description: "Open a Q&A session on the requirements.", tone: "primary" },
  finalize_requirements: { label: "Finalize requirements", description: "Declare the requirements ready (quality thresholds met).", tone: "primary" },
  reopen_requirements: { label: "Reopen requirements", description: "Go back to refining.", tone: "secondary" },
  request_validation: { label: "Request code validation", description: "Check the connected repository against the requirements.", tone: "primary" },
  start_validation: { label: "Start validation", description: "Mark code validation as started.", tone: "secondary" },
  complete_validation: { label: "Complete validation", description: "Mark code validation as finished.", tone: "secondary" },
  approve_validation: { label: "Approve validation", description: "Accept the validation results and move on to planning.", tone: "primary" },
  start_planning: { label: "Start planning", description: "Plan the work.", tone: "primary" },
  generate_prompts: { label: "Generate prompts", description: "Write the prompts for each planned task.", tone: "primary" },
  begin_execution: { label: "Begin execution", description: "Start executing the tasks.", tone: "primary" },
  complete_execution: { label: "Complete execution", description: "Every task is done and verified.", tone: "primary" },
  block: { label: "Block", description: "Stop: something needs attention.", tone: "danger", needsReason: true },
  restart_refinement: { label: "Restart refinement", description: "Unblock into refining.", tone: "secondary" },
  retry_validation: { label: "Retry validation", description: "Unblock into a new validation.", tone: "secondary" },
  revise_plan: { label: "Revise plan", description: "Unblock into planning.", tone: "secondary" },
};

export function actionInfo(action: string): ActionInfo {
  return ACTIONS[action] ?? { label: action.replace(/_/g, " "), description: "", tone: "secondary" };
}
