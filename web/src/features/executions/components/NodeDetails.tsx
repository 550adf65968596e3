import { useState } from "react";
import { Badge, Button, CopyButton } from "@/components";
import { formatDateTime } from "@/lib/format";
import type { LiveNode } from "../hooks/liveState";
import { ACTIVE, STATUS_TONE, type ExecutionLog, type NodeRun } from "../types";
import { formatDuration, prettyJson } from "./format";

type Tab = "output" | "input" | "logs" | "details";

/** One node of a run: each attempt's status and timing, its input, output, logs and metadata. */
export function NodeDetails({ nodeId, runs, logs, live, canRerun, onRerun, onClose }: { nodeId: string; runs: NodeRun[]; logs: ExecutionLog[]; live: LiveNode | undefined; canRerun: boolean; onRerun: () => void; onClose: () => void }) {
  const sorted = [...runs].sort((a, b) => b.run - a.run || b.step - a.step);
  const [index, setIndex] = useState(0);
  const [tab, setTab] = useState<Tab>("output");
  const run = sorted[index];
  const status = live?.status ?? run?.status ?? "pending";
  const body = tab === "output" ? run?.output_data : tab === "input" ? run?.input_data : run?.metadata;
  return (
    <div className="node-details">
      <div className="node-details-head">
        <div>
          <h2>{nodeId}</h2>
          <span className="muted small">{run?.node_type ?? live?.node_type}</span>
        </div>
        <button type="button" className="dialog-close" aria-label="Close node details" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="row gap-sm">
        <Badge tone={STATUS_TONE[status]}>{status}</Badge>
        {run && <span className="muted small">{formatDuration(run.duration_ms)}</span>}
        {run && run.retry_count > 0 && <span className="muted small">{run.retry_count} retr{run.retry_count > 1 ? "ies" : "y"}</span>}
        {live?.route && <Badge tone="accent">→ {live.route}</Badge>}
      </div>
      {(run?.error_message || live?.error) && <p className="field-error">{run?.error_message ?? live?.error}</p>}
      {sorted.length > 1 && (
        <label className="field">
          <span>Node run</span>
          <select className="input" value={index} onChange={(e) => setIndex(Number(e.target.value))}>
            {sorted.map((r, i) => (
              <option key={r.id} value={i}>
                Attempt {r.run}, step {r.step} · {r.status} · {formatDateTime(r.start_time)}
              </option>
            ))}
          </select>
        </label>
      )}
      {!run ? (
        <p className="muted">This node has not run{status === "pending" ? " yet" : ""}.</p>
      ) : (
        <>
          <div className="segmented segmented-4" role="tablist" aria-label="Node data">
            {(["output", "input", "logs", "details"] as Tab[]).map((t) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? "segmented-active" : ""} onClick={() => setTab(t)}>
                {t[0]!.toUpperCase() + t.slice(1)}
              </button>
            ))}
          </div>
          {tab === "logs" ? (
            logs.length === 0 ? (
              <p className="muted small">No log lines for this node.</p>
            ) : (
              <ol className="log-list">
                {logs.map((line) => (
                  <li key={line.id} className={`log-line log-${line.level}`}>
                    <span className="log-level">{line.level}</span>
                    <span className="log-message">{line.message}</span>
                  </li>
                ))}
              </ol>
            )
          ) : (
            <div className="json-wrap">
              <pre className="json-block" role="tabpanel" aria-label={tab}>
                {body !== null && body !== undefined ? prettyJson(body) : tab === "output" && ACTIVE.has(run.status) ? `No output yet: the node is ${run.status}.` : "null"}
              </pre>
              <div className="json-copy">
                <CopyButton value={prettyJson(body ?? null)} />
              </div>
            </div>
          )}
        </>
      )}
      {canRerun && run && (
        <Button size="sm" onClick={onRerun}>
          Re-run from this node
        </Button>
      )}
    </div>
  );
}
