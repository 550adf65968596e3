import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { Badge, Button, Card, EmptyState, PageHeader, QueryState } from "@/components";
import { formatRelative } from "@/lib/format";
import { useCurrentWorkspaceId } from "@/lib/workspace";
import { useWorkflows } from "../hooks/useWorkflows";
import { STATUS_TONES, WORKFLOW_STATUSES } from "../types";

export function WorkflowsListPage() {
  const workspaceId = useCurrentWorkspaceId();
  const [status, setStatus] = useState("");
  const [tag, setTag] = useState("");
  const [search, setSearch] = useState("");
  const workflows = useWorkflows({ workspaceId, status: status || undefined, tag: tag.trim() || undefined, search: search.trim() || undefined });
  const navigate = useNavigate();
  const filtered = Boolean(status || tag.trim() || search.trim());
  return (
    <>
      <PageHeader
        title="Workflows"
        description="Automations built from triggers, logic, HTTP calls, AI agents and human approvals. Every save is a version; every run is recorded."
        actions={
          <Button variant="primary" onClick={() => void navigate("/workflows/new")}>
            New workflow
          </Button>
        }
      />
      <Card>
        <div className="filters" role="search">
          <label className="field">
            <span>Search</span>
            <input className="input" type="search" value={search} placeholder="Name or description" onChange={(e) => setSearch(e.target.value)} />
          </label>
          <label className="field">
            <span>Status</span>
            <select className="input" value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">Any status</option>
              {WORKFLOW_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Tag</span>
            <input className="input" value={tag} placeholder="e.g. billing" onChange={(e) => setTag(e.target.value)} />
          </label>
        </div>
        <QueryState query={workflows} loadingLabel="Loading workflows…">
          {(data) =>
            data.items.length === 0 ? (
              filtered ? (
                <EmptyState title="No workflow matches these filters" />
              ) : (
                <EmptyState
                  title="No workflows yet"
                  action={
                    <Button variant="primary" onClick={() => void navigate("/workflows/new")}>
                      Build your first workflow
                    </Button>
                  }
                >
                  Start from a manual trigger, add steps from the palette, and run it with an input.
                </EmptyState>
              )
            ) : (
              <div className="table-wrap">
                <table className="table table-hover table-responsive">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Status</th>
                      <th>Tags</th>
                      <th>Nodes</th>
                      <th>Version</th>
                      <th>Updated</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((workflow) => (
                      <tr key={workflow.id}>
                        <td>
                          <Link className="row-link" to={`/workflows/${workflow.id}`}>
                            {workflow.name}
                          </Link>
                          {workflow.description && <div className="muted small clamp-1">{workflow.description}</div>}
                        </td>
                        <td>
                          <Badge tone={STATUS_TONES[workflow.status]}>{workflow.status}</Badge>
                        </td>
                        <td>
                          <div className="row gap-sm">
                            {workflow.tags.length === 0 && <span className="muted">—</span>}
                            {workflow.tags.map((t) => (
                              <button key={t} type="button" className="tag-chip" onClick={() => setTag(t)} title={`Show workflows tagged ${t}`}>
                                {t}
                              </button>
                            ))}
                          </div>
                        </td>
                        <td>{workflow.nodes.length}</td>
                        <td>v{workflow.version}</td>
                        <td>{formatRelative(workflow.updated_at)}</td>
                        <td className="cell-actions">
                          <Link className="btn btn-secondary btn-sm" to={`/executions?workflow=${workflow.id}`}>
                            Runs
                          </Link>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryState>
      </Card>
    </>
  );
}
