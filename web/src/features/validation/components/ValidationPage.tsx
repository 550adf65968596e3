import { useEffect, useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router-dom";
import { Badge, Button, Card, EmptyState, ErrorMessage, Meter, QueryState, useToast, type Tone } from "@/components";
import { formatDateTime, humanize } from "@/lib/format";
import { useApproveValidation, useRequestValidation, useRequirementTexts, useValidationResults } from "../hooks/useValidation";
import { DIMENSIONS, RUNNING, STATUS_TONE, type Report, type ValidationResults, type ValidationRun } from "../types";
import { CoverageMatrixView } from "./CoverageMatrixView";
import { RequirementEvidence } from "./RequirementEvidence";
import { pct, readReport } from "./matrix";

const RUN_TONE: Record<string, Tone> = { pending: "info", running: "info", completed: "success", failed: "danger" };

function ScoreRing({ value, passed }: { value: number; passed: boolean }) {
  const angle = Math.round(Math.max(0, Math.min(1, value)) * 360);
  return (
    <div
      className={`score-ring${passed ? " score-ring-pass" : " score-ring-fail"}`}
      style={{ ["--angle" as string]: `${angle}deg` }}
      role="img"
      aria-label={`Compliance score ${pct(value)}`}
    >
      <div className="score-ring-inner">
        <span className="score-ring-value">{pct(value)}</span>
        <span className="score-ring-label">compliance</span>
      </div>
    </div>
  );
}

function Scores({ run, report }: { run: ValidationRun; report: Report }) {
  const compliance = report.scores.compliance_score;
  return (
    <Card title="Scores" subtitle={`Weighted: 30% structure, 25% patterns, 35% coverage, 10% quality. Passing needs more than ${pct(report.scores.threshold)}.`}>
      <div className="scores-layout">
        <div className="scores-main">
          <ScoreRing value={compliance} passed={report.scores.passed} />
          <Badge tone={report.scores.passed ? "success" : "danger"}>{report.scores.passed ? "Passed" : "Below threshold"}</Badge>
          <div className="score-counts">
            <span>
              <strong>{run.implemented_count ?? 0}</strong> implemented
            </span>
            <span>
              <strong>{run.partial_count ?? 0}</strong> partial
            </span>
            <span>
              <strong>{run.missing_count ?? 0}</strong> missing
            </span>
          </div>
        </div>
        <div className="meters">
          {DIMENSIONS.map((dimension) => {
            const value = report.scores.dimensions[dimension.key];
            if (!value) return null;
            return (
              <div key={dimension.key}>
                <Meter
                  label={dimension.label}
                  value={value.score * 100}
                  good={value.passed}
                  threshold={`Needs > ${pct(value.threshold)} · weight ${pct(value.weight)}`}
                />
                <p className="muted small">{dimension.help}</p>
              </div>
            );
          })}
        </div>
      </div>
    </Card>
  );
}

function Gaps({ report, texts }: { report: Report; texts: Map<string, string> }) {
  const partial = report.requirements.filter((r) => r.status === "partial");
  const missing = report.requirements.filter((r) => r.status === "missing");
  return (
    <div className="grid-2">
      <Card title="Gaps" subtitle="Requirements the code does not (fully) reflect.">
        {missing.length + partial.length === 0 ? (
          <EmptyState title="No gaps">Every requirement is traced to code that covers its words and criteria.</EmptyState>
        ) : (
          <ul className="list">
            {[...missing, ...partial].map((r) => (
              <li key={r.code} className="gap-row">
                <div className="list-title">
                  <a href={`#evidence-${r.code}`}>{r.code}</a>
                  <Badge tone={STATUS_TONE[r.status]}>{humanize(r.status)}</Badge>
                </div>
                {texts.get(r.code) && <p className="small">{texts.get(r.code)}</p>}
                {r.missing_terms.length > 0 && (
                  <p className="muted small">
                    Not found in the linked code:{" "}
                    {r.missing_terms.map((term) => (
                      <span key={term} className="term-chip term-chip-missing">
                        {term}
                      </span>
                    ))}
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title="Unrequested code" subtitle={`${report.gaps.unrequested} implementation file(s) no requirement asked for.`}>
        {report.unrequested.length === 0 ? (
          <EmptyState title="Nothing unrequested">Every implementation file is traced to a requirement.</EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table table-compact">
              <thead>
                <tr>
                  <th>File</th>
                  <th>Symbols</th>
                  <th>Closest requirement</th>
                </tr>
              </thead>
              <tbody>
                {report.unrequested.slice(0, 50).map((file) => (
                  <tr key={file.path}>
                    <td>
                      <code>{file.path}</code> <span className="muted small">{file.language}</span>
                    </td>
                    <td>{file.symbols}</td>
                    <td>{file.closest_requirement ? `${file.closest_requirement} (${pct(file.closest_score)})` : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

function Recommendations({ report }: { report: Report }) {
  if (report.recommendations.length === 0) return null;
  const tone: Record<string, Tone> = { high: "danger", medium: "warning", low: "info" };
  return (
    <Card title="Recommendations">
      <ul className="list">
        {report.recommendations.map((item, index) => (
          <li key={index} className="list-row">
            <span>{item.message}</span>
            <Badge tone={tone[item.priority] ?? "neutral"}>{item.priority}</Badge>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function History({ data }: { data: ValidationResults }) {
  if (data.history.length < 2) return null;
  return (
    <Card title="Earlier runs">
      <div className="table-wrap">
        <table className="table table-compact table-responsive">
          <thead>
            <tr>
              <th>Requested</th>
              <th>Commit</th>
              <th>Status</th>
              <th>Compliance</th>
              <th>Implemented / partial / missing</th>
            </tr>
          </thead>
          <tbody>
            {data.history.map((run) => (
              <tr key={run.id}>
                <td>{formatDateTime(run.last_requested_at ?? run.created_at)}</td>
                <td>
                  <code>{run.commit_sha.slice(0, 10)}</code>
                </td>
                <td>
                  <Badge tone={RUN_TONE[run.status]}>{run.status}</Badge>
                </td>
                <td>{pct(run.compliance_score)}</td>
                <td>
                  {run.implemented_count ?? "—"} / {run.partial_count ?? "—"} / {run.missing_count ?? "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function ApproveButton({ projectId }: { projectId: string }) {
  const approve = useApproveValidation(projectId);
  const navigate = useNavigate();
  // Not mutate(..., { onSuccess }): the approval refetches the project, which unmounts this button (the project is no
  // longer CODE_VALIDATED), and TanStack Query drops per-call callbacks of an unmounted component: no navigation.
  const approveAndPlan = () =>
    approve.mutateAsync().then(
      () => void navigate(`/projects/${projectId}/plan`),
      () => undefined, // shown below from approve.error
    );
  return (
    <>
      <Button variant="primary" busy={approve.isPending} onClick={() => void approveAndPlan()}>
        Approve and plan →
      </Button>
      {approve.isError && <ErrorMessage error={approve.error} title="Not approved" />}
    </>
  );
}

function RunHeader({ data, onValidate, busy }: { data: ValidationResults; onValidate: () => void; busy: boolean }) {
  const run = data.latest;
  const canApprove = data.project_status === "CODE_VALIDATED" && run?.status === "completed";
  const running = run ? RUNNING.has(run.status) : false;
  return (
    <Card>
      <div className="run-header">
        <div className="stack" style={{ gap: 4 }}>
          <div className="list-title">
            <h2>Code validation</h2>
            {run && (
              <Badge tone={RUN_TONE[run.status]}>
                {running && <span className="pulse-dot" aria-hidden="true" />}
                {humanize(run.status)}
              </Badge>
            )}
          </div>
          {run ? (
            <p className="muted small">
              Commit <code>{run.commit_sha.slice(0, 10)}</code> · {run.files_indexed ?? "…"} files indexed
              {run.duration_seconds !== null && run.duration_seconds !== undefined && ` in ${run.duration_seconds.toFixed(1)} s`} · requested{" "}
              {formatDateTime(run.last_requested_at ?? run.created_at)}
              {run.times_requested > 1 && ` · re-used ${run.times_requested - 1}×`}
            </p>
          ) : (
            <p className="muted small">Not validated yet.</p>
          )}
        </div>
        <div className="row gap-sm">
          <Button variant={canApprove ? "secondary" : "primary"} onClick={onValidate} busy={busy || running}>
            {running ? "Validating…" : run ? "Validate again" : "Validate code"}
          </Button>
          {canApprove && <ApproveButton projectId={data.project_id} />}
        </div>
      </div>
      {running && (
        <div className="progress-indeterminate" role="progressbar" aria-label="Validation progress">
          <span />
        </div>
      )}
      {run?.status === "failed" && (
        <div className="alert alert-error" role="alert" style={{ marginTop: 12 }}>
          <div className="alert-body">
            <strong className="alert-title">The validation failed</strong>
            <p className="alert-message">{run.error_message ?? run.error_code}</p>
          </div>
        </div>
      )}
    </Card>
  );
}

export function ValidationPage() {
  const { projectId = "" } = useParams();
  const results = useValidationResults(projectId);
  const requirements = useRequirementTexts(projectId);
  const validate = useRequestValidation(projectId);
  const toast = useToast();
  const [focus, setFocus] = useState<{ code: string; path?: string } | null>(null);
  const client = useQueryClient();
  const projectStatus = results.data?.project_status;
  useEffect(() => {
    // The job moves the project (CODE_VALIDATING -> CODE_VALIDATED or BLOCKED): the header and overview follow.
    if (!projectStatus) return;
    void client.invalidateQueries({ queryKey: ["projects", projectId], exact: true });
    void client.invalidateQueries({ queryKey: ["projects", projectId, "status"] });
    void client.invalidateQueries({ queryKey: ["projects", projectId, "audit"] });
  }, [client, projectId, projectStatus]);
  const texts = useMemo(() => new Map((requirements.data?.items ?? []).map((r) => [r.code, r.title ? `${r.title}: ${r.text}` : r.text])), [requirements.data]);
  const onValidate = () => validate.mutate(undefined, { onSuccess: (accepted) => toast(accepted.message, "info") });
  return (
    <div className="stack-lg">
      <QueryState query={results} loadingLabel="Loading validation results…">
        {(data) => {
          const run = data.latest;
          const report = run?.status === "completed" ? readReport(run.report) : null;
          return (
            <>
              <RunHeader data={data} onValidate={onValidate} busy={validate.isPending} />
              <ErrorMessage error={validate.error} title="Validation was not started" />
              {!run && (
                <Card>
                  <EmptyState title="No validation yet">
                    Validation traces every requirement to the files that implement it. It needs a{" "}
                    <Link to={`/projects/${projectId}/repository`}>connected repository</Link> whose clone is ready and requirements marked
                    ready.
                  </EmptyState>
                </Card>
              )}
              {run && report && (
                <>
                  <Scores run={run} report={report} />
                  <CoverageMatrixView report={report} texts={texts} onSelect={(code, path) => setFocus({ code, path })} />
                  <Gaps report={report} texts={texts} />
                  <RequirementEvidence report={report} texts={texts} focus={focus} />
                  <Recommendations report={report} />
                </>
              )}
              {run?.status === "completed" && !report && <ErrorMessage error={new Error("The stored report could not be read.")} />}
              <History data={data} />
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
