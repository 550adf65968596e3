import { useMemo } from "react";
import { Badge, Card, EmptyState } from "@/components";
import { humanize } from "@/lib/format";
import { STATUS_TONE, type Report } from "../types";
import { buildMatrix, pct, shortPath } from "./matrix";

/** Requirements down, linked files across; a filled cell is a link, a faint one a candidate below the cut. */
export function CoverageMatrixView({ report, texts, onSelect }: { report: Report; texts: Map<string, string>; onSelect: (code: string, path: string) => void }) {
  const matrix = useMemo(() => buildMatrix(report.requirements), [report]);
  return (
    <Card
      title="Coverage matrix"
      subtitle="Each row is a requirement, each column a file linked to at least one. Darker cells score higher; click one for its evidence."
    >
      {matrix.columns.length === 0 ? (
        <EmptyState title="No file is linked to any requirement">The code shares too few words with the requirements to trace them.</EmptyState>
      ) : (
        <div className="matrix-wrap">
          <table className="matrix">
            <thead>
              <tr>
                <th className="matrix-corner">Requirement</th>
                {matrix.columns.map((column) => (
                  <th key={column.path} className={`matrix-col${column.role === "test" ? " matrix-col-test" : ""}`} title={column.path} scope="col">
                    <span>{shortPath(column.path)}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.requirements.map((requirement) => (
                <tr key={requirement.code}>
                  <th scope="row" className="matrix-row" title={texts.get(requirement.code)}>
                    <span className="matrix-code">{requirement.code}</span>
                    <Badge tone={STATUS_TONE[requirement.status]}>{humanize(requirement.status)}</Badge>
                  </th>
                  {matrix.columns.map((column) => {
                    const cell = matrix.cells[requirement.code]?.[column.path];
                    if (!cell) return <td key={column.path} className="matrix-cell" />;
                    const strength = Math.min(1, 0.25 + cell.score * 1.5);
                    const label = `${requirement.code} × ${column.path}: ${cell.linked ? "linked" : "candidate"}, score ${pct(cell.score)}`;
                    return (
                      <td key={column.path} className="matrix-cell">
                        <button
                          type="button"
                          className={`matrix-dot${cell.linked ? " matrix-linked" : " matrix-candidate"}`}
                          style={cell.linked ? { opacity: strength } : undefined}
                          aria-label={label}
                          title={label}
                          onClick={() => onSelect(requirement.code, column.path)}
                        />
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          {matrix.hidden > 0 && <p className="muted small">{matrix.hidden} more linked file(s) are listed in the evidence below.</p>}
          <div className="matrix-legend muted small">
            <span>
              <span className="matrix-dot matrix-linked legend-dot" /> linked implementation or test
            </span>
            <span>
              <span className="matrix-dot matrix-candidate legend-dot" /> candidate below the linking threshold
            </span>
          </div>
        </div>
      )}
    </Card>
  );
}
