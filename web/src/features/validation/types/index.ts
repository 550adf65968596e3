import type { components } from "@/lib/api/schema";

export type ValidationResults = components["schemas"]["ValidationResults"];
export type ValidationRun = components["schemas"]["ValidationRunRead"];
export type ValidationSummary = components["schemas"]["ValidationRunSummary"];

/**
 * The stored report (`ValidationReport.as_dict`, docs/validation.md). The API types it as a free
 * JSON object, so its shape is written down here and read defensively (see `readReport`).
 */
export interface Evidence {
  kind: "field" | "symbol" | "passage" | "terms";
  why: string;
  terms: string[];
  field?: string;
  symbol?: string;
  symbol_kind?: string;
  lines?: [number, number];
  passage?: string;
}

export interface FileLink {
  path: string;
  score: number;
  relative: number;
  linked: boolean;
  role: "implementation" | "test";
  evidence: Evidence[];
}

export type RequirementStatus = "implemented" | "partial" | "missing";

export interface RequirementResult {
  code: string;
  status: RequirementStatus;
  coverage: number;
  pattern: number | null;
  criteria_met: number;
  criteria_total: number;
  missing_terms: string[];
  links: FileLink[];
  tests: FileLink[];
}

export interface Dimension {
  score: number;
  weight: number;
  threshold: number;
  passed: boolean;
}

export interface UnrequestedFile {
  path: string;
  language: string;
  symbols: number;
  closest_requirement: string | null;
  closest_score: number;
}

export interface Recommendation {
  kind: string;
  priority: "high" | "medium" | "low";
  requirement?: string;
  message: string;
}

export interface Report {
  requirements: RequirementResult[];
  scores: { compliance_score: number; passed: boolean; threshold: number; dimensions: Record<string, Dimension> };
  unrequested: UnrequestedFile[];
  gaps: { missing: string[]; partial: string[]; unrequested: number };
  recommendations: Recommendation[];
  index: { files: number; languages: Record<string, number>; skipped: Record<string, number> };
  limits?: Record<string, unknown>;
}

export const DIMENSIONS: { key: string; label: string; help: string }[] = [
  { key: "structural_alignment", label: "Structural alignment", help: "Requirements mapped to at least one file" },
  { key: "pattern_compliance", label: "Pattern compliance", help: "Key words of each requirement in file and symbol names" },
  { key: "functional_coverage", label: "Functional coverage", help: "Implemented, plus half of each partial requirement" },
  { key: "quality_indicators", label: "Quality indicators", help: "Tests, comments and file sizes of the mapped code" },
];

/** Run states in which the job is still working. */
export const RUNNING = new Set(["pending", "running"]);

export const STATUS_TONE: Record<string, "success" | "warning" | "danger"> = { implemented: "success", partial: "warning", missing: "danger" };
