import { useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { Background, Controls, ReactFlow, ReactFlowProvider, type Edge } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { Badge, Button, Card, Dialog, ErrorMessage, Loading, PageHeader, TextAreaField, useToast } from "@/components";
import { nodeTypes, toCanvas, useMeasuredNodes, type CanvasNode, type Connection, type WorkflowNode } from "@/components/flow";
import { formatDateTime } from "@/lib/format";
import * as api from "../api/executions";
import { useControl, useExecution, useLogs, useNodeRuns, useNodeTypes, usePinnedVersion } from "../hooks/useExecutions";
import { waitingApprovals, type LiveNode, type WaitingInfo } from "../hooks/liveState";
import { useLiveExecution } from "../hooks/useLiveExecution";
import { ACTIVE, FINISHED, STATUS_TONE, type Execution, type NodeRun } from "../types";
import { formatDuration, prettyJson } from "./format";
import { NodeDetails } from "./NodeDetails";

export function ExecutionPage() {
  const { executionId = "" } = useParams();
  const execution = useExecution(executionId);
  if (execution.isPending) return <Loading label="Loading the run…" />;
  if (execution.isError) return <ErrorMessage error={execution.error} onRetry={() => void execution.refetch()} />;
  return (
    <ReactFlowProvider>
      <ExecutionView execution={execution.data} />
    </ReactFlowProvider>
  );
}

function ApprovalPanel({ execution, waiting }: { execution: Execution; waiting: LiveNode[] }) {
  const [comment, setComment] = useState("");
  const decide = useControl(execution.id, ({ approved, nodeId }: { approved: boolean; nodeId: string }) => api.decide(execution.id, approved, nodeId, comment.trim() || null));
  const toast = useToast();
  // The socket may end the wait (and unmount this panel) before the HTTP answer arrives, which drops mutate()'s
  // per-call callbacks: the promise still settles, so the toast is said from it. A failure shows as decide.error.
  const decideAndSay = (decision: { approved: boolean; nodeId: string }, said: string) =>
    void decide.mutateAsync(decision).then(
      () => {
        setComment("");
        toast(said, decision.approved ? "success" : "info");
      },
      () => undefined,
    );
  return (
    <Card className="approval-card" title="Waiting for your approval">
      {waiting.map((node) => (
        <div key={node.node_id} className="stack">
          <p className="approval-message">
            <strong>{node.node_id}</strong>: {node.waiting?.message ?? "Approve this step?"}
          </p>
          {node.waiting?.timeout_at && (
            <p className="muted small">
              Decided automatically ({node.waiting.timeout_outcome}) at {formatDateTime(node.waiting.timeout_at)}.
            </p>
          )}
          <TextAreaField label="Comment (optional)" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
          <ErrorMessage error={decide.error} />
          <div className="row gap-sm">
            <Button
              variant="primary"
              busy={decide.isPending && decide.variables?.approved === true}
              disabled={decide.isPending}
              onClick={() => decideAndSay({ approved: true, nodeId: node.node_id }, "Approved: the run continues")}
            >
              Approve
            </Button>
            <Button
              variant="danger"
              busy={decide.isPending && decide.variables?.approved === false}
              disabled={decide.isPending}
              onClick={() => decideAndSay({ approved: false, nodeId: node.node_id }, "Rejected")}
            >
              Reject
            </Button>
          </div>
        </div>
      ))}
    </Card>
  );
}

/** The latest run of each node from the rows, for when the socket has not (yet) said anything. */
function latestRuns(runs: NodeRun[] | undefined): Map<string, NodeRun> {
  const latest = new Map<string, NodeRun>();
  for (const run of runs ?? []) {
    const seen = latest.get(run.node_id);
    if (!seen || run.run > seen.run || (run.run === seen.run && run.step >= seen.step)) latest.set(run.node_id, run);
  }
  return latest;
}

function ExecutionView({ execution }: { execution: Execution }) {
  const finished = FINISHED.has(execution.status);
  const live = useLiveExecution(execution.id, finished);
  const version = usePinnedVersion(execution.workflow_id, execution.workflow_version);
  const types = useNodeTypes();
  const runs = useNodeRuns(execution.id);
  const logs = useLogs(execution.id);
  const [selected, setSelected] = useState<string | null>(null);
  const [confirmRerun, setConfirmRerun] = useState<string | null>(null);
  const navigate = useNavigate();
  const toast = useToast();
  const cancel = useControl(execution.id, () => api.cancelExecution(execution.id));
  const retry = useControl(execution.id, () => api.retryExecution(execution.id));
  const rerun = useControl(execution.id, (node: string) => api.rerunExecution(execution.id, node));

  const status = live.synced && live.status ? live.status : execution.status;
  const latest = useMemo(() => latestRuns(runs.data?.items), [runs.data]);
  const statusOf = (nodeId: string) => (live.synced ? live.nodes[nodeId]?.status : undefined) ?? latest.get(nodeId)?.status ?? "pending";

  const canvas = useMemo(() => {
    if (!version.data || !types.data) return null;
    return toCanvas(version.data.nodes as unknown as WorkflowNode[], version.data.connections as unknown as Connection[], types.data);
  }, [version.data, types.data]);
  const shown: CanvasNode[] = (canvas?.nodes ?? []).map((n) => ({ ...n, selected: n.id === selected, draggable: false, data: { ...n.data, status: statusOf(n.id), readOnly: true } }));
  const flow = useMeasuredNodes(shown);
  const edges: Edge[] = (canvas?.edges ?? []).map((e) => {
    const sourceStatus = statusOf(e.source);
    const route = live.nodes[e.source]?.route ?? (latest.get(e.source)?.metadata as { route?: string } | undefined)?.route;
    const taken = sourceStatus === "completed" && (!e.label || e.label === route);
    return { ...e, animated: taken && statusOf(e.target) === "running", className: taken ? "edge-taken" : undefined };
  });

  // Who waits comes from the socket (or the rows before it speaks); what they wait for from the event, else from the
  // node run's recorded request (a snapshot carries no message).
  const waitingRows = [...latest.values()].filter((r) => r.status === "waiting" && r.node_type === "approval");
  const waitingNodes: LiveNode[] = live.synced
    ? waitingApprovals(live)
    : waitingRows.map((r) => ({ node_id: r.node_id, node_type: r.node_type, status: r.status, attempt: r.retry_count + 1, duration_ms: null, error: null }));
  const approvals = waitingNodes.map((node) => {
    const recorded = (latest.get(node.node_id)?.metadata as { waiting_for?: WaitingInfo } | undefined)?.waiting_for;
    return { ...node, waiting: { kind: "approval", node_id: node.node_id, ...recorded, ...(node.waiting ?? {}) } };
  });

  return (
    <div className="execution-page">
      <PageHeader
        eyebrow={
          <>
            <Link to="/executions">Executions</Link> · <Link to={`/workflows/${execution.workflow_id}`}>{version.data?.name ?? "workflow"}</Link> v{execution.workflow_version}
          </>
        }
        title={
          <span className="title-with-badge">
            Run <span className="mono">{execution.id.slice(0, 8)}</span>
            <Badge tone={STATUS_TONE[status]}>
              {ACTIVE.has(status) && <span className="pulse-dot" aria-hidden="true" />}
              <span data-testid="execution-status">{status}</span>
            </Badge>
          </span>
        }
        description={
          <>
            {execution.trigger_type} trigger · started {formatDateTime(execution.start_time ?? execution.created_at)}
            {execution.duration_ms !== null && ` · ${formatDuration(execution.duration_ms)}`}
            {live.run > 1 && <span data-testid="execution-attempt"> · attempt {live.run}</span>} ·{" "}
            <span className={`live-dot live-${live.connection}`}>{live.connection === "open" ? "live" : live.connection === "connecting" ? "connecting…" : live.connection === "denied" ? "not live" : "reconnecting…"}</span>
          </>
        }
        actions={
          <>
            {ACTIVE.has(status) && (
              <Button variant="danger" busy={cancel.isPending} onClick={() => cancel.mutate(undefined, { onSuccess: () => toast("Cancellation requested", "info") })}>
                Cancel run
              </Button>
            )}
            {status === "failed" && (
              <Button variant="primary" busy={retry.isPending} onClick={() => retry.mutate(undefined, { onSuccess: () => toast(`Retrying from ${execution.failed_node_id ?? "the failed node"}`) })}>
                Retry from failed node
              </Button>
            )}
          </>
        }
      />
      <ErrorMessage error={cancel.error ?? retry.error ?? rerun.error} />
      {live.error && live.connection === "denied" && <p className="alert alert-info">Live updates are off: {live.error}</p>}
      {status === "failed" && execution.error_message && (
        <div className="alert alert-error" role="alert">
          <div className="alert-body">
            <strong className="alert-title">Failed at {execution.failed_node_id ?? "a node"}</strong>
            <p className="alert-message">{execution.error_message}</p>
          </div>
        </div>
      )}
      {approvals.length > 0 && status === "waiting" && <ApprovalPanel execution={execution} waiting={approvals} />}
      <div className="execution-layout">
        <div className="execution-canvas" aria-label="Run graph">
          {version.isError ? (
            <ErrorMessage error={version.error} />
          ) : !canvas ? (
            <Loading label="Loading the graph…" />
          ) : (
            <ReactFlow<CanvasNode, Edge>
              nodes={flow.nodes}
              onNodesChange={flow.onNodesChange}
              edges={edges}
              nodeTypes={nodeTypes}
              nodesDraggable={false}
              nodesConnectable={false}
              onNodeClick={(_, node) => setSelected(node.id)}
              fitView
              fitViewOptions={{ maxZoom: 1, padding: 0.25 }}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={20} size={1} />
              <Controls showInteractive={false} />
            </ReactFlow>
          )}
        </div>
        <aside className="execution-panel" aria-label="Node details">
          {selected ? (
            <NodeDetails
              nodeId={selected}
              runs={(runs.data?.items ?? []).filter((r) => r.node_id === selected)}
              logs={(logs.data?.items ?? []).filter((l) => l.node_id === selected)}
              live={live.nodes[selected]}
              canRerun={FINISHED.has(status)}
              onRerun={() => setConfirmRerun(selected)}
              onClose={() => setSelected(null)}
            />
          ) : (
            <div className="builder-hint">
              <h2>Nodes</h2>
              <p className="muted small">Select a node to see its input, output and logs.</p>
              <ul className="node-status-list">
                {(canvas?.nodes ?? []).map((n) => (
                  <li key={n.id}>
                    <button type="button" className="link-button" onClick={() => setSelected(n.id)}>
                      {n.data.node.name || n.id}
                    </button>
                    <Badge tone={STATUS_TONE[statusOf(n.id)]}>{statusOf(n.id)}</Badge>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </aside>
      </div>
      <div className="grid-2">
        <Card title="Input">
          <pre className="json-block">{prettyJson(execution.trigger_data)}</pre>
        </Card>
        <Card title="Output" subtitle={status === "completed" ? "The outputs of the last nodes that ran." : undefined}>
          {execution.output ? <pre className="json-block">{prettyJson(execution.output)}</pre> : <p className="muted">{ACTIVE.has(status) ? "Not finished yet." : "No output."}</p>}
        </Card>
      </div>
      <Card title="Logs">
        {logs.isError ? (
          <ErrorMessage error={logs.error} />
        ) : (logs.data?.items.length ?? 0) === 0 ? (
          <p className="muted">No log lines yet.</p>
        ) : (
          <ol className="log-list">
            {logs.data?.items.map((line) => (
              <li key={line.id} className={`log-line log-${line.level}`}>
                <span className="log-time">{new Date(line.created_at).toLocaleTimeString()}</span>
                <span className="log-level">{line.level}</span>
                {line.node_id && <span className="log-node">{line.node_id}</span>}
                <span className="log-message">{line.message}</span>
              </li>
            ))}
          </ol>
        )}
      </Card>
      {confirmRerun && (
        <Dialog
          title={`Re-run from ${confirmRerun}?`}
          onClose={() => setConfirmRerun(null)}
          footer={
            <div className="row-end">
              <Button onClick={() => setConfirmRerun(null)}>Cancel</Button>
              <Button
                variant="primary"
                busy={rerun.isPending}
                onClick={() =>
                  rerun.mutate(confirmRerun, {
                    onSuccess: () => {
                      setConfirmRerun(null);
                      toast(`Re-running from ${confirmRerun}`);
                      void navigate(`/executions/${execution.id}`, { replace: true });
                    },
                  })
                }
              >
                Re-run
              </Button>
            </div>
          }
        >
          <p>The nodes before {confirmRerun} keep their recorded outputs; {confirmRerun} and everything after it run again, as a new attempt of this execution.</p>
          <ErrorMessage error={rerun.error} />
        </Dialog>
      )}
    </div>
  );
}
