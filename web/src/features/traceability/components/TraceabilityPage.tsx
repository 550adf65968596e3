import { Fragment, useState } from "react";
import { useParams } from "react-router-dom";
import { Badge, Button, Card, EmptyState, ErrorMessage, QueryState } from "@/components";
import { humanize } from "@/lib/format";
import { getCsv } from "../api/traceability";
import { useTraceability } from "../hooks/useTraceability";
import { EVIDENCE_TONE, TASK_TONE, type TraceEntry } from "../types";

function Detail({ entry }: { entry: TraceEntry }) {
  return (
    <div className="trace-detail">
      <div>
        <h4>Versions</h4>
        <ol className="trace-versions">
          {entry.versions.map((v) => (
            <li key={v.version}>
              <strong>v{v.version}</strong> <span className="muted small">{humanize(v.source)}</span>
              <div className="small">{v.text}</div>
              {v.changed_by_qa.map((qa, i) => (
                <div key={i} className="muted small">
                  Q&amp;A: {qa.question} → <em>{qa.answer}</em>
                </div>
              ))}
            </li>
          ))}
        </ol>
      </div>
      <div>
        <h4>Code evidence</h4>
        {entry.code_evidence ? (
          <ul className="list">
            {entry.code_evidence.files.map((f) => (
              <li key={f.path} className="small">
                <code>{f.path}</code>
                {f.evidence.slice(0, 2).map((e, i) => (
                  <div key={i} className="muted">
                    {e.lines ? `lines ${e.lines[0]}–${e.lines[1]}: ` : ""}
                    {e.why}
                  </div>
                ))}
              </li>
            ))}
            {entry.code_evidence.tests.map((t) => (
              <li key={t} className="small">
                <code>{t}</code> <Badge tone="accent">test</Badge>
              </li>
            ))}
            {entry.code_evidence.files.length === 0 && <li className="muted small">No file linked.</li>}
          </ul>
        ) : (
          <p className="muted small">Not validated.</p>
        )}
      </div>
      <div>
        <h4>Tasks</h4>
        {entry.tasks.length === 0 ? (
          <p className="muted small">No task yet.</p>
        ) : (
          <ul className="list">
            {entry.tasks.map((t) => (
              <li key={t.id} className="small">
                <span className="mono">{t.id}</span> {t.title} <Badge tone={TASK_TONE[t.status]}>{humanize(t.status)}</Badge>
                {t.verification && (
                  <div className={t.verification.accepted ? "score-pass" : "score-fail"}>
                    {t.verification.accepted ? "verified against the code" : `not verified: ${(t.verification.reasons ?? []).join("; ")}`}
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

/** From each requirement to the Q&A that shaped it, its findings, the code that implements it, its tasks and their prompts. */
export function TraceabilityPage() {
  const { projectId = "" } = useParams();
  const matrix = useTraceability(projectId);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [csvError, setCsvError] = useState<unknown>(null);
  async function downloadCsv() {
    setCsvError(null);
    try {
      const text = await getCsv(projectId);
      const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = `traceability-${projectId}.csv`;
      link.click();
      URL.revokeObjectURL(url);
    } catch (error) {
      setCsvError(error);
    }
  }
  return (
    <Card
      title="Traceability"
      subtitle="Requirement → evidence in the code → tasks and their status → prompts."
      actions={
        <Button size="sm" onClick={() => void downloadCsv()}>
          Download CSV
        </Button>
      }
    >
      <ErrorMessage error={csvError} />
      <QueryState query={matrix} loadingLabel="Building the matrix…">
        {(data) =>
          data.requirements.length === 0 ? (
            <EmptyState title="Nothing to trace yet">Import requirements first.</EmptyState>
          ) : (
            <>
              <p className="muted small trace-meta">
                {data.validation_run_id ? "Evidence from the latest validation" : "Not validated yet"} · {data.plan_version ? `plan version ${data.plan_version}` : "no plan yet"}
                {data.prompts_note ? ` · ${data.prompts_note}` : ""}
              </p>
              <div className="table-wrap">
                <table className="table table-responsive trace-table">
                  <thead>
                    <tr>
                      <th>Requirement</th>
                      <th>Findings</th>
                      <th>Code</th>
                      <th>Tasks</th>
                      <th>Prompts</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.requirements.map((entry) => {
                      const expanded = open.has(entry.code);
                      const evidence = entry.code_evidence;
                      return (
                        <Fragment key={entry.code}>
                          <tr className={expanded ? "req-row-open" : undefined}>
                            <td>
                              <button
                                type="button"
                                className="link-button trace-toggle"
                                aria-expanded={expanded}
                                onClick={() => setOpen((s) => { const n = new Set(s); if (n.has(entry.code)) n.delete(entry.code); else n.add(entry.code); return n; })}
                              >
                                {expanded ? "▾" : "▸"} <span className="mono">{entry.code}</span>
                              </button>{" "}
                              <span className="muted small">v{entry.current_version}</span>
                              <div className="small clamp-1">{entry.title ?? entry.versions[entry.versions.length - 1]?.text}</div>
                            </td>
                            <td>{entry.findings.length === 0 ? <Badge tone="success">clean</Badge> : <Badge tone="warning">{entry.findings.length}</Badge>}</td>
                            <td>
                              {evidence ? (
                                <>
                                  <Badge tone={EVIDENCE_TONE[evidence.status]}>{humanize(evidence.status)}</Badge>
                                  <div className="muted small">
                                    {evidence.files.length} file(s){evidence.coverage !== null ? ` · ${Math.round(evidence.coverage * 100)}%` : ""}
                                  </div>
                                </>
                              ) : (
                                <span className="muted">—</span>
                              )}
                            </td>
                            <td>
                              <div className="row gap-sm">
                                {entry.tasks.length === 0 && <span className="muted">—</span>}
                                {entry.tasks.map((t) => (
                                  <Badge key={t.id} tone={TASK_TONE[t.status]} title={`${t.title}: ${t.status}`}>
                                    {t.id}
                                  </Badge>
                                ))}
                              </div>
                            </td>
                            <td>{entry.prompts.length || <span className="muted">—</span>}</td>
                          </tr>
                          {expanded && (
                            <tr className="req-row-open">
                              <td colSpan={5}>
                                <Detail entry={entry} />
                              </td>
                            </tr>
                          )}
                        </Fragment>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </>
          )
        }
      </QueryState>
    </Card>
  );
}
