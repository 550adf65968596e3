/** Pure helpers over the stored report: reading it safely and building the requirement x file matrix. */
import type { FileLink, Report, RequirementResult } from "../types";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The report when it has the shape this screen reads; null for a missing or foreign one (shown as such). */
export function readReport(raw: unknown): Report | null {
  if (!isRecord(raw) || !Array.isArray(raw.requirements) || !isRecord(raw.scores)) return null;
  const report = raw as unknown as Report;
  return {
    ...report,
    requirements: report.requirements.map((r) => ({ ...r, links: r.links ?? [], tests: r.tests ?? [], missing_terms: r.missing_terms ?? [] })),
    unrequested: Array.isArray(report.unrequested) ? report.unrequested : [],
    gaps: report.gaps ?? { missing: [], partial: [], unrequested: 0 },
    recommendations: Array.isArray(report.recommendations) ? report.recommendations : [],
  };
}

export interface MatrixColumn {
  path: string;
  role: "implementation" | "test";
  /** How many requirements link this file. */
  linkedBy: number;
}

export interface MatrixCell {
  linked: boolean;
  score: number;
}

export interface CoverageMatrix {
  columns: MatrixColumn[];
  /** rows[requirement code][file path] */
  cells: Record<string, Record<string, MatrixCell>>;
  /** Files linked somewhere but left out of the columns (over the limit). */
  hidden: number;
}

/**
 * Columns are the files at least one requirement links (implementation first, then tests), the
 * most-linked first; a cell holds the file's score for that requirement, linked or only a candidate.
 */
export function buildMatrix(requirements: RequirementResult[], maxColumns = 30): CoverageMatrix {
  const cells: CoverageMatrix["cells"] = {};
  const counts = new Map<string, MatrixColumn>();
  for (const requirement of requirements) {
    const row: Record<string, MatrixCell> = {};
    const all: FileLink[] = [...requirement.links, ...requirement.tests];
    for (const link of all) {
      row[link.path] = { linked: link.linked, score: link.score };
      if (!link.linked) continue;
      const column = counts.get(link.path) ?? { path: link.path, role: link.role, linkedBy: 0 };
      column.linkedBy += 1;
      counts.set(link.path, column);
    }
    cells[requirement.code] = row;
  }
  const sorted = [...counts.values()].sort(
    (a, b) => (a.role === b.role ? 0 : a.role === "implementation" ? -1 : 1) || b.linkedBy - a.linkedBy || a.path.localeCompare(b.path),
  );
  return { columns: sorted.slice(0, maxColumns), cells, hidden: Math.max(0, sorted.length - maxColumns) };
}

/** `src/app/models/user.py` -> `user.py`, with the folder kept for the title. */
export function shortPath(path: string): string {
  const parts = path.split("/");
  return parts[parts.length - 1] ?? path;
}

export function pct(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
}
