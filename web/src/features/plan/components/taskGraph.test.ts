import { describe, expect, it } from "vitest";
import type { Task } from "../types";
import { columns, criticalEdges, depths, toTaskGraph } from "./taskGraph";

const task = (id: string, depends_on: string[], extra: Partial<Task> = {}): Task =>
  ({ id, depends_on, status: "pending", priority: 2, title: id, on_critical_path: false, ...extra }) as Task;

const tasks = [task("T-001", []), task("T-002", ["T-001"]), task("T-003", ["T-001"], { priority: 1 }), task("T-004", ["T-002", "T-003"], { status: "done" })];

describe("task graph", () => {
  it("layers tasks by their longest dependency chain", () => {
    expect(depths(tasks)).toEqual({ "T-001": 0, "T-002": 1, "T-003": 1, "T-004": 2 });
    // A cycle (the server refuses them, but a stored plan is read defensively) ends instead of looping.
    expect(depths([task("A", ["B"]), task("B", ["A"])])).toEqual({ A: 2, B: 1 });
  });

  it("marks only consecutive critical-path edges as critical", () => {
    expect([...criticalEdges(["T-001", "T-002", "T-004"])]).toEqual(["T-001->T-002", "T-002->T-004"]);
    const graph = toTaskGraph(tasks, ["T-001", "T-002", "T-004"]);
    const critical = graph.edges.filter((e) => e.className === "edge-critical").map((e) => e.id);
    expect(critical.sort()).toEqual(["T-001->T-002", "T-002->T-004"]);
    expect(graph.edges).toHaveLength(4);
    expect(graph.nodes.find((n) => n.id === "T-003")?.data.critical).toBe(false);
    expect(graph.nodes.find((n) => n.id === "T-004")?.position.x).toBe(580);
  });

  it("wraps a wide layer into several columns, later layers after them", () => {
    const many = [...Array.from({ length: 7 }, (_, i) => task(`A-${i}`, [])), task("B", ["A-0"])];
    const graph = toTaskGraph(many, []);
    const x = (id: string) => graph.nodes.find((n) => n.id === id)!.position.x;
    expect(new Set(many.slice(0, 7).map((t) => x(t.id)))).toEqual(new Set([0, 290]));
    expect(x("B")).toBe(580);
  });

  it("groups the board by status, by priority within a column", () => {
    const board = columns(tasks);
    expect(board.pending!.map((t) => t.id)).toEqual(["T-003", "T-001", "T-002"]);
    expect(board.done!.map((t) => t.id)).toEqual(["T-004"]);
    expect(board.in_progress).toEqual([]);
  });
});
