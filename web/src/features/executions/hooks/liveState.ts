/**
 * The live view's state, folded from the WebSocket's messages (docs/workflows.md, "Live progress"):
 * a snapshot of every node first, then node_status / status_change events. Pure, so it is tested
 * without a socket; the rows stay the truth and a reconnect starts again from a fresh snapshot.
 */
export interface LiveNode {
  node_id: string;
  node_type: string;
  status: string;
  attempt: number;
  duration_ms: number | null;
  error: string | null;
  route?: string | null;
  retry_in_seconds?: number | null;
  waiting?: WaitingInfo | null;
}

export interface WaitingInfo {
  /** approval, timer or subworkflow */
  kind: string;
  node_id: string;
  message?: string;
  timeout_at?: string | null;
  timeout_outcome?: string;
  resume_at?: string;
  child_execution_id?: string;
}

export interface LiveState {
  connection: "connecting" | "open" | "closed" | "denied";
  /** True once a snapshot arrived: before it, the page shows the REST data. */
  synced: boolean;
  status: string | null;
  run: number;
  nodes: Record<string, LiveNode>;
  error: string | null;
}

export type LiveMessage =
  | { type: "snapshot"; execution_id: string; status: string; run: number; nodes: LiveNode[] }
  | { type: "node_status"; execution_id: string; node_id: string; status: string; timestamp?: string; data?: Record<string, unknown> | null }
  | { type: "status_change"; execution_id: string; status: string; timestamp?: string; data?: Record<string, unknown> | null }
  | { type: "error"; error: string; message: string }
  | { type: "pong" };

export type LiveAction = LiveMessage | { type: "connection"; connection: LiveState["connection"] };

export const initialLiveState: LiveState = { connection: "connecting", synced: false, status: null, run: 1, nodes: {}, error: null };

const num = (value: unknown): number | null => (typeof value === "number" ? value : null);
const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  switch (action.type) {
    case "connection":
      return { ...state, connection: action.connection };
    case "snapshot":
      return {
        ...state,
        connection: "open",
        synced: true,
        status: action.status,
        run: action.run,
        error: null,
        nodes: Object.fromEntries(action.nodes.map((node) => [node.node_id, { ...node, waiting: node.status === "waiting" ? (state.nodes[node.node_id]?.waiting ?? null) : null }])),
      };
    case "node_status": {
      const data = action.data ?? {};
      const previous: LiveNode = state.nodes[action.node_id] ?? { node_id: action.node_id, node_type: str(data.node_type) ?? "", status: "pending", attempt: 0, duration_ms: null, error: null };
      const next: LiveNode = { ...previous, status: action.status };
      if (action.status === "running") {
        next.attempt = num(data.attempt) ?? previous.attempt + 1;
        next.node_type = str(data.node_type) ?? previous.node_type;
        next.error = null;
        next.waiting = null;
      } else if (action.status === "completed") {
        next.duration_ms = num(data.duration_ms);
        next.route = str(data.route);
        next.error = null;
        next.waiting = null;
        next.retry_in_seconds = null;
      } else if (action.status === "failed" || action.status === "retrying") {
        next.attempt = num(data.attempt) ?? previous.attempt;
        next.error = str(data.error);
        next.retry_in_seconds = num(data.retry_in_seconds);
      } else if (action.status === "waiting") {
        next.waiting = { ...(data as unknown as WaitingInfo), node_id: action.node_id };
      }
      return { ...state, nodes: { ...state.nodes, [action.node_id]: next } };
    }
    case "status_change": {
      const run = num(action.data?.run);
      const nodes = { ...state.nodes };
      // Leaving "waiting" ends every wait; a cancelled run cancels the nodes still waiting or running.
      for (const [id, node] of Object.entries(nodes)) {
        if (action.status === "cancelled" && (node.status === "waiting" || node.status === "running")) nodes[id] = { ...node, status: "cancelled", waiting: null };
      }
      return { ...state, status: action.status, run: run ?? state.run, nodes };
    }
    case "error":
      return { ...state, connection: "denied", error: action.message };
    default:
      return state;
  }
}

/** Approvals waiting right now, from the live nodes. */
export function waitingApprovals(state: LiveState): LiveNode[] {
  return Object.values(state.nodes).filter((node) => node.status === "waiting" && (node.node_type === "approval" || node.waiting?.kind === "approval"));
}

/** Whether this event changes rows worth re-reading (node input/output, the execution's output). */
export function changesRows(message: LiveMessage): boolean {
  // A snapshot too: the rows read before the socket opened may predate it (an approval that started waiting since).
  return message.type === "snapshot" || message.type === "status_change" || (message.type === "node_status" && message.status !== "running");
}
