/** The traceability matrix (planning/traceability.py `build_matrix`); the API types it as free JSON. */
export interface TraceTask {
  id: string;
  title: string;
  category: string;
  kind: string;
  planned_from_version: number;
  status: string;
  verification: { accepted?: boolean; reasons?: string[]; commit_sha?: string } | null;
  files: { path: string; action: string }[];
}

export interface TraceEntry {
  code: string;
  title: string | null;
  current_version: number;
  versions: { version: number; source: string; created_at: string; text: string; acceptance_criteria: string[]; changed_by_qa: { question?: string; answer?: string }[] }[];
  findings: { category: string; severity: string; text: string; message: string }[];
  code_evidence: {
    validation_run_id: string;
    commit_sha: string;
    validated_version: number | null;
    status: string;
    coverage: number | null;
    missing_terms: string[];
    files: { path: string; score: number; evidence: { why: string; lines?: [number, number] }[] }[];
    tests: string[];
  } | null;
  tasks: TraceTask[];
  prompts: { task_id: string; category: string; token_count: number }[];
}

export interface TraceMatrix {
  project_id: string;
  plan_version: number | null;
  validation_run_id: string | null;
  prompts_note: string | null;
  requirements: TraceEntry[];
}

export const TASK_TONE: Record<string, "neutral" | "info" | "success" | "warning" | "danger" | "accent"> = {
  pending: "neutral",
  in_progress: "info",
  review: "accent",
  blocked: "danger",
  done: "success",
};
export const EVIDENCE_TONE: Record<string, "success" | "warning" | "danger"> = { implemented: "success", partial: "warning", missing: "danger" };
