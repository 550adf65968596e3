/** Mapping the API's 422 `invalid_workflow` problems onto the builder's nodes and config fields. Pure. */
import { ApiError } from "@/lib/api/errors";
import type { Problem } from "../types";

export interface ProblemMap {
  /** Problems naming a node, by node id. */
  byNode: Record<string, Problem[]>;
  /** Config field errors: byField[node id][field] = messages (field is the config key, `config.url` -> `url`). */
  byField: Record<string, Record<string, string[]>>;
  /** Problems of the whole workflow, or naming a node the canvas does not have. */
  general: Problem[];
}

export const NO_PROBLEMS: ProblemMap = { byNode: {}, byField: {}, general: [] };

/** The `problems` list of an invalid_workflow error, or [] for any other error. */
export function problemsOf(error: unknown): Problem[] {
  if (!(error instanceof ApiError) || error.code !== "invalid_workflow") return [];
  const problems = error.detail.problems;
  if (!Array.isArray(problems)) return [];
  return problems.filter((p): p is Problem => typeof p === "object" && p !== null && typeof (p as Problem).message === "string");
}

/** Strip the `config.url: ` prefix the server puts before a field message, which the form shows beside the field. */
function fieldMessage(problem: Problem, field: string): string {
  const prefix = `config.${field}: `;
  const at = problem.message.indexOf(prefix);
  return at >= 0 ? problem.message.slice(at + prefix.length) : problem.message;
}

export function mapProblems(problems: Problem[], nodeIds: Iterable<string>): ProblemMap {
  const known = new Set(nodeIds);
  const result: ProblemMap = { byNode: {}, byField: {}, general: [] };
  for (const problem of problems) {
    if (!problem.node_id || !known.has(problem.node_id)) {
      result.general.push(problem);
      continue;
    }
    (result.byNode[problem.node_id] ??= []).push(problem);
    const match = problem.field?.match(/^config\.([^.[]+)/);
    if (match?.[1]) {
      const field = match[1];
      const fields = (result.byField[problem.node_id] ??= {});
      (fields[field] ??= []).push(fieldMessage(problem, field));
    }
  }
  return result;
}
