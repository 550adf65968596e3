import type { Scores } from "@/components";
import type { RoundRecord } from "../types";

const METRICS: { key: keyof Scores; label: string; unit: string; higherIsBetter: boolean }[] = [
  { key: "testability", label: "Testability", unit: "%", higherIsBetter: true },
  { key: "completeness", label: "Completeness", unit: "%", higherIsBetter: true },
  { key: "dependencies", label: "Dependencies", unit: "%", higherIsBetter: true },
  { key: "ambiguity", label: "Ambiguity", unit: "", higherIsBetter: false },
];

interface Row {
  label: string;
  scores: Scores | undefined;
  findings: number | undefined;
}

function Delta({ now, before, higherIsBetter }: { now: number | undefined; before: number | undefined; higherIsBetter: boolean }) {
  if (now === undefined || before === undefined || now === before) return null;
  const better = higherIsBetter ? now > before : now < before;
  const diff = Math.round((now - before) * 10) / 10;
  return (
    <span className={`delta ${better ? "delta-up" : "delta-down"}`} aria-label={better ? "improved" : "worse"}>
      {diff > 0 ? "▲" : "▼"} {Math.abs(diff)}
    </span>
  );
}

/** The scores before each round and now, with the change from the row above. */
export function ScoreProgress({ rounds, current, currentFindings }: { rounds: RoundRecord[]; current: Scores | undefined; currentFindings: number | undefined }) {
  const rows: Row[] = rounds.map((round) => ({ label: `Before round ${round.round}`, scores: round.scores_before, findings: round.findings_before }));
  rows.push({ label: "Now", scores: current, findings: currentFindings });
  return (
    <div className="table-wrap">
      <table className="table score-table">
        <thead>
          <tr>
            <th />
            {METRICS.map((metric) => (
              <th key={metric.key}>{metric.label}</th>
            ))}
            <th>Findings</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => {
            const previous = rows[index - 1];
            return (
              <tr key={row.label} className={row.label === "Now" ? "row-now" : undefined}>
                <th scope="row">{row.label}</th>
                {METRICS.map((metric) => {
                  const value = row.scores?.[metric.key] as number | undefined;
                  const passed = row.scores?.passed?.[metric.key];
                  return (
                    <td key={metric.key} className={passed === undefined ? "" : passed ? "score-pass" : "score-fail"}>
                      {value === undefined ? "—" : `${Math.round(value * 10) / 10}${metric.unit}`}{" "}
                      <Delta now={value} before={previous?.scores?.[metric.key] as number | undefined} higherIsBetter={metric.higherIsBetter} />
                    </td>
                  );
                })}
                <td>
                  {row.findings ?? "—"} <Delta now={row.findings} before={previous?.findings} higherIsBetter={false} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
