import { useParams } from "react-router-dom";
import { Badge, Card, QualityScores, QueryState, useToast } from "@/components";
import { humanize } from "@/lib/format";
import { useGateway, useProjectAudit, useProjectStatus } from "../hooks/useProjects";
import { PIPELINE, STATE_LABELS, actionInfo, type ProjectStatus } from "../types";
import { AuditTimeline } from "./AuditTimeline";
import { GatewayActions } from "./GatewayActions";

function Pipeline({ status }: { status: string }) {
  const index = PIPELINE.indexOf(status as (typeof PIPELINE)[number]);
  return (
    <ol className="pipeline" aria-label="Project pipeline">
      {PIPELINE.map((state, position) => (
        <li
          key={state}
          className={`pipeline-step${position < index ? " pipeline-done" : ""}${position === index ? " pipeline-current" : ""}`}
          aria-current={position === index ? "step" : undefined}
        >
          <span className="pipeline-dot" aria-hidden="true" />
          <span className="pipeline-label">{STATE_LABELS[state]}</span>
        </li>
      ))}
      {status === "BLOCKED" && (
        <li className="pipeline-step pipeline-current pipeline-blocked" aria-current="step">
          <span className="pipeline-dot" aria-hidden="true" />
          <span className="pipeline-label">Blocked</span>
        </li>
      )}
    </ol>
  );
}

function StatusPanel({ projectId, status }: { projectId: string; status: ProjectStatus }) {
  const gateway = useGateway(projectId);
  const toast = useToast();
  const refinement = status.refinement as { status?: string; round?: number; open_questions?: number } | null;
  return (
    <>
      <Card title="Where this project is">
        <Pipeline status={status.status} />
        <h3 className="section-title">Next steps</h3>
        <GatewayActions
          actions={status.allowed_actions}
          onRun={async (request) => {
            const result = await gateway.mutateAsync(request);
            toast(`${actionInfo(result.action).label}: ${STATE_LABELS[result.from_state] ?? result.from_state} → ${STATE_LABELS[result.to_state] ?? result.to_state}`);
          }}
        />
      </Card>
      <div className="grid-2">
        <Card
          title="Requirement quality"
          subtitle={`${status.requirements_meeting_thresholds} of ${status.requirements} requirements meet every threshold`}
          actions={status.meets_thresholds ? <Badge tone="success">Thresholds met</Badge> : <Badge tone="warning">Below thresholds</Badge>}
        >
          {status.requirements === 0 ? <p className="muted">Import requirements to see their scores.</p> : <QualityScores scores={status.scores} />}
        </Card>
        <Card title="Findings" subtitle={`${status.findings} open`}>
          {Object.keys(status.findings_by_category).length === 0 ? (
            <p className="muted">No findings.</p>
          ) : (
            <ul className="bars">
              {Object.entries(status.findings_by_category)
                .sort((a, b) => b[1] - a[1])
                .map(([category, count]) => (
                  <li key={category}>
                    <span>{humanize(category)}</span>
                    <span className="bars-track">
                      <span className="bars-fill" style={{ width: `${(count / Math.max(1, status.findings)) * 100}%` }} />
                    </span>
                    <strong>{count}</strong>
                  </li>
                ))}
            </ul>
          )}
          {refinement && (
            <p className="muted small">
              Refinement {refinement.status}, round {refinement.round ?? 0}, {refinement.open_questions ?? 0} open question(s).
            </p>
          )}
        </Card>
      </div>
    </>
  );
}

export function ProjectOverviewPage() {
  const { projectId = "" } = useParams();
  const status = useProjectStatus(projectId);
  const audit = useProjectAudit(projectId);
  return (
    <div className="stack-lg">
      <QueryState query={status}>{(data) => <StatusPanel projectId={projectId} status={data} />}</QueryState>
      <Card title="Audit timeline" subtitle="Every transition and change, newest first.">
        <QueryState query={audit}>{(data) => <AuditTimeline records={data.items} />}</QueryState>
      </Card>
    </div>
  );
}
