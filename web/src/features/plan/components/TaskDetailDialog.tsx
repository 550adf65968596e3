import { useState } from "react";
import { Badge, CopyButton, Dialog, EmptyState, ErrorMessage, QueryState } from "@/components";
import { ApiError } from "@/lib/api/errors";
import { formatDateTime, humanize } from "@/lib/format";
import { usePrompts, useTask } from "../hooks/usePlan";
import { PROMPT_CATEGORIES, STATUS_LABELS, STATUS_TONE, type TaskDetail } from "../types";
import { hours } from "./taskGraph";

function Prompts({ projectId, taskId }: { projectId: string; taskId: string }) {
  const prompts = usePrompts(projectId, taskId);
  const [category, setCategory] = useState<string>("implementation");
  if (prompts.isPending) return <p className="muted">Loading prompts…</p>;
  if (prompts.isError) {
    const notYet = prompts.error instanceof ApiError && (prompts.error.status === 404 || prompts.error.status === 409);
    return notYet ? <p className="muted">{prompts.error.message} Use “Generate prompts” on the plan.</p> : <ErrorMessage error={prompts.error} />;
  }
  const items = prompts.data.items;
  if (items.length === 0) return <p className="muted">No prompts for this task yet: use “Generate prompts” on the plan.</p>;
  const current = items.find((p) => p.category === category) ?? items[0]!;
  return (
    <div className="stack">
      <div className="segmented segmented-4" role="tablist" aria-label="Prompt">
        {PROMPT_CATEGORIES.filter((c) => items.some((p) => p.category === c)).map((c) => (
          <button key={c} type="button" role="tab" aria-selected={current.category === c} className={current.category === c ? "segmented-active" : ""} onClick={() => setCategory(c)}>
            {humanize(c)}
          </button>
        ))}
      </div>
      <div className="prompt-head">
        <span className="muted small">
          {current.token_count} / {current.token_budget} tokens · template {current.template_version}
          {current.omitted.length > 0 && ` · left out to fit: ${current.omitted.join(", ")}`}
        </span>
        <CopyButton value={current.text} label={`Copy ${current.category} prompt`} />
      </div>
      <pre className="prompt-text" role="tabpanel" aria-label={`${current.category} prompt`}>
        {current.text}
      </pre>
    </div>
  );
}

function Detail({ task, projectId }: { task: TaskDetail; projectId: string }) {
  return (
    <div className="task-detail">
      <div className="row gap-sm">
        <Badge tone={STATUS_TONE[task.status]}>{STATUS_LABELS[task.status] ?? task.status}</Badge>
        <Badge>{task.category}</Badge>
        <Badge tone="info">{task.phase.replace(/_/g, " ")}</Badge>
        {task.on_critical_path && <Badge tone="danger">critical path</Badge>}
        {task.kind === "verify" && <Badge tone="accent">verify existing code</Badge>}
      </div>
      <p className="task-description">{task.description}</p>
      <div className="task-stats">
        <div>
          <span className="task-stat-value">{task.estimate.story_points}</span>
          <span className="task-stat-label">story points</span>
        </div>
        <div>
          <span className="task-stat-value">{hours(task.estimate.p50_hours)}</span>
          <span className="task-stat-label">P50 estimate</span>
        </div>
        <div>
          <span className="task-stat-value">{hours(task.estimate.p85_hours)}</span>
          <span className="task-stat-label">P85 estimate</span>
        </div>
        <div>
          <span className="task-stat-value">{task.complexity}/10</span>
          <span className="task-stat-label">complexity</span>
        </div>
      </div>
      {task.complexity_reasons.length > 0 && <p className="muted small">Complexity: {task.complexity_reasons.join("; ")}.</p>}
      {task.depends_on.length > 0 && (
        <p className="small">
          Depends on: <span className="mono">{task.depends_on.join(", ")}</span>
        </p>
      )}

      <h3 className="section-title">Requirements</h3>
      <ul className="list">
        {task.requirements.map((r) => (
          <li key={r.code} className="task-req">
            <strong className="mono">
              {r.code} v{r.version}
            </strong>{" "}
            {r.text}
          </li>
        ))}
      </ul>

      <h3 className="section-title">Definition of done</h3>
      <ul className="dod-list">
        {task.dod.map((item, index) => (
          <li key={index}>
            <span className={`dod-mark${item.checkable ? " dod-auto" : ""}`} aria-hidden="true">
              {item.checkable ? "✓" : "○"}
            </span>
            <span>
              {item.text}
              <span className="muted small"> · {item.checkable ? `checked by Trellis (${item.check})` : "checked by a person"}</span>
            </span>
          </li>
        ))}
      </ul>

      {task.risks.length > 0 && (
        <>
          <h3 className="section-title">Risks</h3>
          <div className="table-wrap">
            <table className="table table-compact">
              <thead>
                <tr>
                  <th>Risk</th>
                  <th>Probability</th>
                  <th>Impact</th>
                  <th>Mitigation</th>
                </tr>
              </thead>
              <tbody>
                {task.risks.map((risk) => (
                  <tr key={risk.factor}>
                    <td>{humanize(risk.factor)}</td>
                    <td>{Math.round(risk.probability * 100)}%</td>
                    <td>{Math.round(risk.impact * 100)}%</td>
                    <td>{risk.mitigation}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}

      <h3 className="section-title">Relevant files</h3>
      {task.files.length === 0 ? (
        <p className="muted small">No file named: validation found no code for these requirements yet.</p>
      ) : (
        <ul className="list">
          {task.files.map((file) => (
            <li key={file.path} className="list-row">
              <span>
                <code>{file.path}</code>
                {file.lines && <span className="muted small"> lines {file.lines.join("–")}</span>}
                <span className="muted small"> · {file.why}</span>
              </span>
              <Badge tone={file.action === "create" ? "success" : file.action === "modify" ? "warning" : "neutral"}>{file.action}</Badge>
            </li>
          ))}
        </ul>
      )}

      <h3 className="section-title">Prompts</h3>
      <Prompts projectId={projectId} taskId={task.id} />

      {task.history.length > 0 && (
        <>
          <h3 className="section-title">History</h3>
          <ol className="timeline">
            {task.history.map((event, index) => (
              <li key={index} className="timeline-item">
                <span className="timeline-dot" aria-hidden="true" />
                <div>
                  <div className="timeline-title">
                    <span className="timeline-states">
                      {event.from_status ? `${STATUS_LABELS[event.from_status] ?? event.from_status} → ` : ""}
                      {STATUS_LABELS[event.to_status] ?? event.to_status}
                    </span>
                    <span className="muted small">{formatDateTime(event.created_at)}</span>
                  </div>
                  {event.note && <p className="small">{event.note}</p>}
                </div>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

export function TaskDetailDialog({ projectId, taskId, onClose }: { projectId: string; taskId: string; onClose: () => void }) {
  const task = useTask(projectId, taskId);
  return (
    <Dialog title={task.data ? `${task.data.id} · ${task.data.title}` : taskId} onClose={onClose} wide>
      <QueryState query={task}>{(data) => (data ? <Detail task={data} projectId={projectId} /> : <EmptyState title="No such task" />)}</QueryState>
    </Dialog>
  );
}
