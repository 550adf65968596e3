import { Meter } from "./Meter";

/** Seed 000's four requirement scores, as returned by the API (`scores`). */
export interface Scores {
  testability?: number;
  ambiguity?: number;
  dependencies?: number;
  completeness?: number;
  passed?: Record<string, boolean>;
}

export function QualityScores({ scores }: { scores: Scores }) {
  const passed = scores.passed ?? {};
  return (
    <div className="meters">
      <Meter label="Testability" value={scores.testability ?? 0} good={passed.testability} threshold="> 80% measurable criteria" />
      <Meter label="Completeness" value={scores.completeness ?? 0} good={passed.completeness} threshold="> 90%" />
      <Meter label="Valid dependencies" value={scores.dependencies ?? 0} good={passed.dependencies} threshold="100%" />
      <Meter
        label="Ambiguous terms (most in one requirement)"
        value={Math.min(100, ((scores.ambiguity ?? 0) / 3) * 100)}
        display={String(scores.ambiguity ?? 0)}
        good={passed.ambiguity}
        threshold="fewer than 3"
      />
    </div>
  );
}
