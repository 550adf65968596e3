import { useState } from "react";
import { useParams } from "react-router-dom";
import { Badge, Button, Card, EmptyState, ErrorMessage, Loading, useToast } from "@/components";
import { ApiError } from "@/lib/api/errors";
import { formatDateTime, humanize } from "@/lib/format";
import { exportPrompts } from "../api/plan";
import { useCreatePlan, useGeneratePrompts, useMoveTask, usePlan, usePrompts, useTasks } from "../hooks/usePlan";
import { readPlan, STATUS_LABELS, STATUS_TONE, type PlanRead, type Task, type TaskStatus } from "../types";
import { KanbanBoard } from "./KanbanBoard";
import { TaskDetailDialog } from "./TaskDetailDialog";
import { TaskGraphView } from "./TaskGraphView";
import { hours } from "./taskGraph";

type View = "board" | "graph" | "phases";

function download(text: string, filename: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}

function Phases({ plan, tasks, onOpen }: { plan: PlanRead; tasks: Task[]; onOpen: (id: string) => void }) {
  const body = readPlan(plan.plan);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  return (
    <div className="phases">
      {body.phases.map((phase, index) => {
        const items = phase.task_ids.map((id) => byId.get(id)).filter((t): t is Task => Boolean(t));
        const done = items.filter((t) => t.status === "done").length;
        return (
          <section key={phase.key} className="phase">
            <header className="phase-head">
              <span className="phase-number">{index + 1}</span>
              <div>
                <h3>{phase.name}</h3>
                <p className="muted small">{phase.description}</p>
              </div>
              <span className="muted small phase-progress">
                {done}/{items.length} done · {hours(items.reduce((sum, t) => sum + t.estimate.p50_hours, 0))}
              </span>
            </header>
            <ul className="phase-tasks">
              {items.map((task) => (
                <li key={task.id}>
                  <button type="button" className="phase-task" onClick={() => onOpen(task.id)}>
                    <span className="mono muted">{task.id}</span>
                    <span className="phase-task-title">{task.title}</span>
                    {task.on_critical_path && <Badge tone="danger">critical</Badge>}
                    <Badge>{task.category}</Badge>
                    <span className="muted small">{hours(task.estimate.p50_hours)}</span>
                    <Badge tone={STATUS_TONE[task.status]}>{STATUS_LABELS[task.status] ?? task.status}</Badge>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}

function NoPlan({ projectId, error }: { projectId: string; error: unknown }) {
  const create = useCreatePlan(projectId);
  const missing = error instanceof ApiError && error.status === 404;
  if (!missing) return <ErrorMessage error={error} />;
  return (
    <Card>
      <EmptyState
        title="No plan yet"
        action={
          <Button variant="primary" busy={create.isPending} onClick={() => create.mutate()}>
            Generate plan
          </Button>
        }
      >
        Trellis turns the validated requirements into phases and tasks with dependencies, estimates, risks, a definition of done and the files to touch.
      </EmptyState>
      <ErrorMessage error={create.error} title="The plan was not generated" />
    </Card>
  );
}

export function PlanPage() {
  const { projectId = "" } = useParams();
  const plan = usePlan(projectId);
  const tasks = useTasks(projectId, plan.isSuccess);
  const prompts = usePrompts(projectId, undefined, plan.isSuccess);
  const replan = useCreatePlan(projectId);
  const generate = useGeneratePrompts(projectId);
  const move = useMoveTask(projectId);
  const toast = useToast();
  const [view, setView] = useState<View>("board");
  const [open, setOpen] = useState<string | null>(null);
  const [exportError, setExportError] = useState<unknown>(null);

  if (plan.isPending) return <Loading label="Loading the plan…" />;
  if (plan.isError) return <NoPlan projectId={projectId} error={plan.error} />;
  const body = readPlan(plan.data.plan);
  const promptCount = prompts.data?.items.length ?? 0;

  function onMove(taskId: string, status: TaskStatus) {
    move.mutate(
      { taskId, status },
      {
        onSuccess: (result) => {
          if ("done" in result && result.done) {
            const outcome = result.done;
            toast(outcome.accepted ? `${taskId} verified and done` : `${taskId} went to review: ${outcome.reasons.join("; ")}`, outcome.accepted ? "success" : "info");
          } else toast(`${taskId} moved to ${STATUS_LABELS[status]}`);
        },
      },
    );
  }

  async function doExport(format: "markdown" | "json" | "tasks") {
    setExportError(null);
    try {
      const file = await exportPrompts(projectId, format);
      download(file.text, file.filename, format === "json" ? "application/json" : "text/markdown");
    } catch (error) {
      setExportError(error);
    }
  }

  return (
    <div className="stack-lg">
      <Card>
        <div className="plan-summary">
          <div className="stack" style={{ gap: 6 }}>
            <div className="list-title">
              <h2>Plan version {plan.data.version}</h2>
              <span className="muted small">
                {formatDateTime(plan.data.created_at)} · seed {plan.data.seed}
              </span>
            </div>
            {body.summary && <p className="page-description">{body.summary}</p>}
          </div>
          <div className="plan-figures">
            <div>
              <span className="task-stat-value">{plan.data.task_count}</span>
              <span className="task-stat-label">tasks</span>
            </div>
            <div>
              <span className="task-stat-value">{hours(plan.data.total_p50_hours)}</span>
              <span className="task-stat-label">P50 total</span>
            </div>
            <div>
              <span className="task-stat-value">{hours(plan.data.total_p85_hours)}</span>
              <span className="task-stat-label">P85 total</span>
            </div>
            <div>
              <span className="task-stat-value">{body.critical_path.length}</span>
              <span className="task-stat-label">on critical path</span>
            </div>
          </div>
        </div>
        {body.warnings.length > 0 && (
          <ul className="plan-warnings">
            {body.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        )}
        <div className="row gap-sm plan-actions">
          <Button variant="primary" busy={generate.isPending} onClick={() => generate.mutate(undefined, { onSuccess: (set) => toast(`${set.total} prompts ${set.created ? "generated" : "already up to date"}`) })}>
            {promptCount ? "Regenerate prompts" : "Generate prompts"}
          </Button>
          <Button disabled={!promptCount} onClick={() => void doExport("markdown")}>
            Export prompts (.md)
          </Button>
          <Button disabled={!promptCount} onClick={() => void doExport("json")}>
            JSON
          </Button>
          <Button disabled={!promptCount} onClick={() => void doExport("tasks")}>
            tasks.md
          </Button>
          <Button variant="ghost" busy={replan.isPending} onClick={() => replan.mutate(undefined, { onSuccess: (p) => toast(p.created ? `Planned again: version ${p.version}` : "Same inputs: the stored plan is current") })}>
            Re-plan
          </Button>
        </div>
        <ErrorMessage error={generate.error ?? replan.error ?? exportError} />
      </Card>

      <div className="segmented segmented-3 view-switch" role="tablist" aria-label="Plan view">
        {(["board", "graph", "phases"] as View[]).map((v) => (
          <button key={v} type="button" role="tab" aria-selected={view === v} className={view === v ? "segmented-active" : ""} onClick={() => setView(v)}>
            {v === "board" ? "Board" : v === "graph" ? "Graph" : "Phases"}
          </button>
        ))}
      </div>
      <ErrorMessage error={move.error} title="The task did not move" />
      {tasks.isPending ? (
        <Loading label="Loading tasks…" />
      ) : tasks.isError ? (
        <ErrorMessage error={tasks.error} onRetry={() => void tasks.refetch()} />
      ) : view === "board" ? (
        <KanbanBoard tasks={tasks.data.items} onMove={onMove} onOpen={setOpen} busyTask={move.isPending ? move.variables?.taskId : null} />
      ) : view === "graph" ? (
        <TaskGraphView tasks={tasks.data.items} criticalPath={body.critical_path} onOpen={setOpen} />
      ) : (
        <Phases plan={plan.data} tasks={tasks.data.items} onOpen={setOpen} />
      )}
      {body.risks.length > 0 && (
        <Card title="Plan-wide risks">
          <ul className="list">
            {body.risks.map((risk) => (
              <li key={risk.factor} className="list-row">
                <span>
                  <strong>{humanize(risk.factor)}</strong> · {risk.mitigation}
                </span>
                <Badge tone={risk.probability * risk.impact > 0.3 ? "danger" : "warning"}>{Math.round(risk.probability * risk.impact * 100)}%</Badge>
              </li>
            ))}
          </ul>
        </Card>
      )}
      {open && <TaskDetailDialog projectId={projectId} taskId={open} onClose={() => setOpen(null)} />}
    </div>
  );
}
