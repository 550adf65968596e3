import { describe, expect, it } from "vitest";
import { changesRows, initialLiveState, liveReducer, waitingApprovals, type LiveAction, type LiveState } from "./liveState";

const id = "e1";
const fold = (actions: LiveAction[], state: LiveState = initialLiveState) => actions.reduce(liveReducer, state);

const snapshot: LiveAction = {
  type: "snapshot",
  execution_id: id,
  status: "running",
  run: 1,
  nodes: [
    { node_id: "start", node_type: "manual", status: "completed", attempt: 1, duration_ms: 3, error: null },
    { node_id: "ask", node_type: "approval", status: "pending", attempt: 0, duration_ms: null, error: null },
    { node_id: "done", node_type: "transform", status: "pending", attempt: 0, duration_ms: null, error: null },
  ],
};

describe("liveReducer", () => {
  it("starts from the snapshot", () => {
    const state = fold([{ type: "connection", connection: "open" }, snapshot]);
    expect(state.synced).toBe(true);
    expect(state.status).toBe("running");
    expect(Object.values(state.nodes).map((n) => [n.node_id, n.status])).toEqual([
      ["start", "completed"],
      ["ask", "pending"],
      ["done", "pending"],
    ]);
  });

  it("lights nodes up as events arrive: running, waiting on an approval, completed with its branch", () => {
    let state = fold([
      snapshot,
      { type: "node_status", execution_id: id, node_id: "ask", status: "running", data: { attempt: 1, node_type: "approval" } },
      { type: "node_status", execution_id: id, node_id: "ask", status: "waiting", data: { kind: "approval", node_id: "ask", message: "Ship it?", timeout_at: null, timeout_outcome: "fail" } },
      { type: "status_change", execution_id: id, status: "waiting" },
    ]);
    expect(state.status).toBe("waiting");
    expect(state.nodes.ask).toMatchObject({ status: "waiting", attempt: 1, waiting: { kind: "approval", message: "Ship it?" } });
    expect(waitingApprovals(state).map((n) => n.node_id)).toEqual(["ask"]);

    state = fold(
      [
        { type: "node_status", execution_id: id, node_id: "ask", status: "completed", data: { duration_ms: 40, route: "approved" } },
        { type: "node_status", execution_id: id, node_id: "done", status: "running", data: { attempt: 1, node_type: "transform" } },
        { type: "node_status", execution_id: id, node_id: "done", status: "completed", data: { duration_ms: 2, route: null } },
        { type: "status_change", execution_id: id, status: "completed" },
      ],
      state,
    );
    expect(state.status).toBe("completed");
    expect(state.nodes.ask).toMatchObject({ status: "completed", route: "approved", duration_ms: 40, waiting: null });
    expect(state.nodes.done).toMatchObject({ status: "completed", duration_ms: 2 });
    expect(waitingApprovals(state)).toEqual([]);
  });

  it("keeps the error and retry of a failing node, and the new run number after a retry", () => {
    let state = fold([
      snapshot,
      { type: "node_status", execution_id: id, node_id: "done", status: "retrying", data: { attempt: 1, error: "HTTP 503", retry_in_seconds: 5 } },
      { type: "node_status", execution_id: id, node_id: "done", status: "failed", data: { attempt: 4, error: "HTTP 503", retry_in_seconds: null } },
      { type: "status_change", execution_id: id, status: "failed" },
    ]);
    expect(state.nodes.done).toMatchObject({ status: "failed", attempt: 4, error: "HTTP 503", retry_in_seconds: null });
    state = fold([{ type: "status_change", execution_id: id, status: "running", data: { run: 2 } }], state);
    expect(state.run).toBe(2);
    expect(state.status).toBe("running");
  });

  it("adds a node it has not seen, cancels what was waiting, and records a refused socket", () => {
    let state = fold([
      snapshot,
      { type: "node_status", execution_id: id, node_id: "extra", status: "running", data: { attempt: 1, node_type: "wait" } },
      { type: "node_status", execution_id: id, node_id: "ask", status: "waiting", data: { kind: "approval" } },
      { type: "status_change", execution_id: id, status: "cancelled" },
    ]);
    expect(state.nodes.extra).toMatchObject({ node_type: "wait", status: "cancelled" });
    expect(state.nodes.ask?.status).toBe("cancelled");
    state = liveReducer(state, { type: "error", error: "not_found_or_unauthenticated", message: "Sign in" });
    expect(state.connection).toBe("denied");
    expect(state.error).toBe("Sign in");
  });

  it("says which events are worth re-reading the rows for", () => {
    expect(changesRows({ type: "node_status", execution_id: id, node_id: "a", status: "running" })).toBe(false);
    expect(changesRows({ type: "node_status", execution_id: id, node_id: "a", status: "completed" })).toBe(true);
    expect(changesRows({ type: "status_change", execution_id: id, status: "completed" })).toBe(true);
    expect(changesRows({ type: "pong" })).toBe(false);
    expect(changesRows({ type: "snapshot", execution_id: id, status: "waiting", run: 1, nodes: [] })).toBe(true);
  });
});
