import { describe, expect, it } from "vitest";
import { buildMatrix, pct, readReport } from "./matrix";
import type { RequirementResult } from "../types";

const link = (path: string, score: number, linked: boolean, role: "implementation" | "test" = "implementation") => ({ path, score, relative: 1, linked, role, evidence: [] });

const requirements: RequirementResult[] = [
  { code: "R-1", status: "implemented", coverage: 0.8, pattern: 0.6, criteria_met: 0, criteria_total: 0, missing_terms: [], links: [link("a.py", 0.4, true), link("b.py", 0.05, false)], tests: [link("tests/test_a.py", 0.2, true, "test")] },
  { code: "R-2", status: "partial", coverage: 0.4, pattern: 0.2, criteria_met: 0, criteria_total: 1, missing_terms: ["x"], links: [link("b.py", 0.3, true), link("a.py", 0.2, true)], tests: [] },
  { code: "R-3", status: "missing", coverage: 0, pattern: null, criteria_met: 0, criteria_total: 0, missing_terms: ["y"], links: [], tests: [] },
];

describe("buildMatrix", () => {
  it("makes a column per linked file, most-linked implementation files first, tests last", () => {
    const matrix = buildMatrix(requirements);
    expect(matrix.columns.map((c) => [c.path, c.linkedBy])).toEqual([
      ["a.py", 2],
      ["b.py", 1],
      ["tests/test_a.py", 1],
    ]);
    expect(matrix.cells["R-1"]!["b.py"]).toEqual({ linked: false, score: 0.05 });
    expect(matrix.cells["R-2"]!["a.py"]).toEqual({ linked: true, score: 0.2 });
    expect(matrix.cells["R-3"]).toEqual({});
    expect(matrix.hidden).toBe(0);
  });

  it("caps the columns and counts the ones left out", () => {
    const matrix = buildMatrix(requirements, 2);
    expect(matrix.columns).toHaveLength(2);
    expect(matrix.hidden).toBe(1);
  });
});

describe("readReport", () => {
  it("refuses what is not a report and fills optional lists", () => {
    expect(readReport(null)).toBeNull();
    expect(readReport({ requirements: "no" })).toBeNull();
    const report = readReport({ requirements: [{ code: "R-1", links: [] }], scores: { compliance_score: 0.5, dimensions: {} } });
    expect(report?.requirements[0]!.tests).toEqual([]);
    expect(report?.unrequested).toEqual([]);
    expect(pct(0.736)).toBe("74%");
  });
});
