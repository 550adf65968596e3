import { useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { Badge, Button, Card, EmptyState, PageHeader, QueryState } from "@/components";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useCurrentWorkspaceId } from "@/lib/workspace";
import { useExecutions, useWorkflowNames } from "../hooks/useExecutions";
import { EXECUTION_STATUSES, STATUS_TONE } from "../types";
import { formatDuration } from "./format";

/** Every run in the workspace, newest first, filtered by workflow and status (kept in the URL). */
export function ExecutionsListPage() {
  const workspaceId = useCurrentWorkspaceId();
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const workflowId = params.get("workflow") ?? "";
  const offset = Number(params.get("offset") ?? 0) || 0;
  const executions = useExecutions({ workspaceId, status: status || undefined, workflowId: workflowId || undefined, offset });
  const workflows = useWorkflowNames(workspaceId);
  const names = useMemo(() => new Map((workflows.data?.items ?? []).map((w) => [w.id, w.name])), [workflows.data]);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    next.delete("offset");
    setParams(next, { replace: true });
  };
  return (
    <>
      <PageHeader title="Executions" description="Every run of every workflow: live while it runs, with each node's input, output and logs afterwards." />
      <Card>
        <div className="filters" role="search">
          <label className="field">
            <span>Workflow</span>
            <select className="input" value={workflowId} onChange={(e) => set("workflow", e.target.value)}>
              <option value="">All workflows</option>
              {(workflows.data?.items ?? []).map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Status</span>
            <select className="input" value={status} onChange={(e) => set("status", e.target.value)}>
              <option value="">Any status</option>
              {EXECUTION_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        </div>
        <QueryState query={executions} loadingLabel="Loading executions…">
          {(data) =>
            data.items.length === 0 ? (
              <EmptyState title={status || workflowId ? "No run matches these filters" : "No runs yet"}>
                {status || workflowId ? null : (
                  <>
                    Open a <Link to="/workflows">workflow</Link> and press Run.
                  </>
                )}
              </EmptyState>
            ) : (
              <>
                <div className="table-wrap">
                  <table className="table table-hover table-responsive">
                    <thead>
                      <tr>
                        <th>Run</th>
                        <th>Workflow</th>
                        <th>Status</th>
                        <th>Trigger</th>
                        <th>Started</th>
                        <th>Duration</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.items.map((execution) => (
                        <tr key={execution.id}>
                          <td>
                            <Link className="row-link mono" to={`/executions/${execution.id}`}>
                              {execution.id.slice(0, 8)}
                            </Link>
                            {execution.run > 1 && <span className="muted small"> · attempt {execution.run}</span>}
                          </td>
                          <td>
                            {names.get(execution.workflow_id) ?? <span className="muted">workflow</span>} <span className="muted small">v{execution.workflow_version}</span>
                          </td>
                          <td>
                            <Badge tone={STATUS_TONE[execution.status]}>{execution.status}</Badge>
                            {execution.failed_node_id && <div className="muted small">at {execution.failed_node_id}</div>}
                          </td>
                          <td>{execution.trigger_type}</td>
                          <td title={formatDateTime(execution.start_time ?? execution.created_at)}>{formatRelative(execution.start_time ?? execution.created_at)}</td>
                          <td>{formatDuration(execution.duration_ms)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {data.total > data.limit && (
                  <div className="pager">
                    <span className="muted small">
                      {offset + 1}–{Math.min(offset + data.limit, data.total)} of {data.total}
                    </span>
                    <Button size="sm" disabled={offset === 0} onClick={() => setParams((p) => { p.set("offset", String(Math.max(0, offset - data.limit))); return p; })}>
                      Newer
                    </Button>
                    <Button size="sm" disabled={offset + data.limit >= data.total} onClick={() => setParams((p) => { p.set("offset", String(offset + data.limit)); return p; })}>
                      Older
                    </Button>
                  </div>
                )}
              </>
            )
          }
        </QueryState>
      </Card>
    </>
  );
}
