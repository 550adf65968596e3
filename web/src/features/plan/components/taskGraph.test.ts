import { describe, expect, it } from "vitest";
import type { Task } from "../types";
import { columns, criticalEdges, depths, estimatedHeight, toTaskGraph } from "./taskGraph";

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

  it("stacks cards by their title length so long titles do not overlap the next card", () => {
    const long = "Complete LIB-7: New members register with a valid email address, and memberships can…";
    const graph = toTaskGraph([task("T-1", [], { title: long }), task("T-2", []), task("T-3", [])], []);
    const y = (id: string) => graph.nodes.find((n) => n.id === id)!.position.y;
    expect(y("T-2") - y("T-1")).toBeGreaterThanOrEqual(estimatedHeight({ title: long } as Task) + 20);
    expect(estimatedHeight({ title: long } as Task)).toBeGreaterThan(estimatedHeight({ title: "T-2" } as Task));
    expect(y("T-3") - y("T-2")).toBe(estimatedHeight({ title: "T-2" } as Task) + 24);
    // Once the cards are measured, their real heights place them.
    const measured = toTaskGraph([task("T-1", [], { title: long }), task("T-2", [])], [], new Map([["T-1", 100]]));
    expect(measured.nodes.find((n) => n.id === "T-2")!.position.y).toBe(124);
  });

  it("groups the board by status, by priority within a column", () => {
    const board = columns(tasks);
    expect(board.pending!.map((t) => t.id)).toEqual(["T-003", "T-001", "T-002"]);
    expect(board.done!.map((t) => t.id)).toEqual(["T-004"]);
    expect(board.in_progress).toEqual([]);
  });
});
