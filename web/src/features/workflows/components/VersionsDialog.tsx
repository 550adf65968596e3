import { useState } from "react";
import { Badge, Button, Dialog, EmptyState, ErrorMessage, Loading, QueryState, SelectField } from "@/components";
import { formatDateTime } from "@/lib/format";
import { useDiff, useRestoreVersion, useVersions } from "../hooks/useWorkflows";
import type { Connection, Workflow, WorkflowDiff } from "../types";

const edge = (c: Connection) => `${c.source} → ${c.target}${c.source_handle ? ` (${c.source_handle})` : ""}`;
const show = (value: unknown) => (value === undefined ? "—" : JSON.stringify(value));

function DiffView({ diff }: { diff: WorkflowDiff }) {
  const empty =
    diff.nodes_added.length + diff.nodes_removed.length + diff.nodes_changed.length + diff.connections_added.length + diff.connections_removed.length + Object.keys(diff.fields_changed).length === 0;
  if (empty) return <p className="muted">The two versions have the same content.</p>;
  return (
    <div className="stack" aria-label="Differences">
      {Object.entries(diff.fields_changed).map(([field, change]) => (
        <div key={field} className="wf-diff-row">
          <Badge tone="info">{field}</Badge>
          <del className="diff-removed">{show(change.before)}</del> → <ins className="diff-added">{show(change.after)}</ins>
        </div>
      ))}
      {diff.nodes_added.map((node) => (
        <div key={`+${node.id}`} className="wf-diff-row">
          <Badge tone="success">node added</Badge>
          <code>{node.id}</code> <span className="muted">{node.type}</span>
        </div>
      ))}
      {diff.nodes_removed.map((node) => (
        <div key={`-${node.id}`} className="wf-diff-row">
          <Badge tone="danger">node removed</Badge>
          <code>{node.id}</code> <span className="muted">{node.type}</span>
        </div>
      ))}
      {diff.nodes_changed.map((change) => (
        <div key={`~${change.id}`} className="wf-diff-node">
          <div className="wf-diff-row">
            <Badge tone="warning">node changed</Badge>
            <code>{change.id}</code>
          </div>
          <ul className="list-diff">
            {change.fields
              .filter((field) => field !== "position")
              .map((field) => (
                <li key={field}>
                  <strong>{field}</strong>: <del>{show(change.before[field])}</del> → <ins>{show(change.after[field])}</ins>
                </li>
              ))}
            {change.fields.includes("position") && <li className="muted">moved on the canvas</li>}
          </ul>
        </div>
      ))}
      {diff.connections_added.map((c) => (
        <div key={`+${edge(c)}`} className="wf-diff-row">
          <Badge tone="success">connection added</Badge>
          {edge(c)}
        </div>
      ))}
      {diff.connections_removed.map((c) => (
        <div key={`-${edge(c)}`} className="wf-diff-row">
          <Badge tone="danger">connection removed</Badge>
          {edge(c)}
        </div>
      ))}
    </div>
  );
}

/** Every saved version; compare any two, restore one (it becomes the newest version). */
export function VersionsDialog({ workflow, onClose, onRestored }: { workflow: Workflow; onClose: () => void; onRestored: (restored: Workflow) => void }) {
  const versions = useVersions(workflow.id);
  const [from, setFrom] = useState<number | null>(workflow.version > 1 ? workflow.version - 1 : null);
  const [to, setTo] = useState<number | null>(workflow.version);
  const diff = useDiff(workflow.id, from, to);
  const restore = useRestoreVersion(workflow.id);
  return (
    <Dialog title="Version history" onClose={onClose} wide>
      <QueryState query={versions}>
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState title="No versions yet" />
          ) : (
            <div className="history">
              <ul className="history-list" aria-label="Versions">
                {[...data.items]
                  .sort((a, b) => b.version - a.version)
                  .map((version) => (
                    <li key={version.version}>
                      <button type="button" className={`history-item${to === version.version ? " history-active" : ""}`} onClick={() => { setTo(version.version); setFrom(version.version > 1 ? version.version - 1 : null); }}>
                        <strong>
                          Version {version.version}
                          {version.version === workflow.version && " (current)"}
                        </strong>
                        <span className="muted small">{formatDateTime(version.created_at)}</span>
                        {version.change_note && <span className="small">{version.change_note}</span>}
                      </button>
                    </li>
                  ))}
              </ul>
              <div className="stack">
                <div className="form-row">
                  <SelectField label="From" value={from ?? ""} onChange={(e) => setFrom(e.target.value ? Number(e.target.value) : null)}>
                    <option value="">—</option>
                    {data.items.map((v) => (
                      <option key={v.version} value={v.version}>
                        Version {v.version}
                      </option>
                    ))}
                  </SelectField>
                  <SelectField label="To" value={to ?? ""} onChange={(e) => setTo(e.target.value ? Number(e.target.value) : null)}>
                    {data.items.map((v) => (
                      <option key={v.version} value={v.version}>
                        Version {v.version}
                      </option>
                    ))}
                  </SelectField>
                </div>
                {from === null || to === null || from === to ? (
                  <p className="muted">Pick two different versions to compare.</p>
                ) : diff.isPending ? (
                  <Loading label="Comparing…" />
                ) : diff.isError ? (
                  <ErrorMessage error={diff.error} />
                ) : (
                  <DiffView diff={diff.data} />
                )}
                <ErrorMessage error={restore.error} />
                {to !== null && to !== workflow.version && (
                  <div>
                    <Button variant="primary" busy={restore.isPending} onClick={() => restore.mutate(to, { onSuccess: onRestored })}>
                      Restore version {to}
                    </Button>
                  </div>
                )}
              </div>
            </div>
          )
        }
      </QueryState>
    </Dialog>
  );
}
