/** Tasks as a dependency graph: layered positions, and which edges lie on the critical path. Pure. */
import type { Edge, Node } from "@xyflow/react";
import { TASK_STATUSES, type Task } from "../types";

export interface TaskNodeData extends Record<string, unknown> {
  task: Task;
  critical: boolean;
}

export type TaskNode = Node<TaskNodeData, "task">;

/** Longest chain of dependencies above each task (cycles are cut rather than looped). */
export function depths(tasks: Task[]): Record<string, number> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const memo: Record<string, number> = {};
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    if (memo[id] !== undefined) return memo[id];
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const deps = (byId.get(id)?.depends_on ?? []).filter((d) => byId.has(d));
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depth));
    visiting.delete(id);
    memo[id] = value;
    return value;
  };
  for (const task of tasks) depth(task.id);
  return memo;
}

/** The edges `a -> b` where b follows a directly on the critical path. */
export function criticalEdges(criticalPath: string[]): Set<string> {
  const edges = new Set<string>();
  for (let i = 1; i < criticalPath.length; i++) edges.add(`${criticalPath[i - 1]}->${criticalPath[i]}`);
  return edges;
}

/** Rows per column before a layer wraps into another column (a plan of independent tasks stays readable). */
const MAX_ROWS = 5;
const COLUMN_WIDTH = 290;
const ROW_GAP = 24;

/** A task card's height before it is measured: .task-node is 230 px wide, 22-28 title characters a line (kept on
 * the high side, so the view fitted to the estimate still holds the measured layout). */
export function estimatedHeight(task: Task): number {
  const lines = Math.max(1, Math.ceil(task.title.length / 22));
  return 62 + lines * 16;
}

export function toTaskGraph(tasks: Task[], criticalPath: string[], measuredHeights: ReadonlyMap<string, number> = new Map()): { nodes: TaskNode[]; edges: Edge[] } {
  const level = depths(tasks);
  const rows: Record<number, number> = {};
  const perLevel: Record<number, number> = {};
  for (const task of tasks) perLevel[level[task.id] ?? 0] = (perLevel[level[task.id] ?? 0] ?? 0) + 1;
  // Where each layer starts: the layers before it take one column per MAX_ROWS tasks.
  const firstColumn: Record<number, number> = {};
  let next = 0;
  for (const d of Object.keys(perLevel).map(Number).sort((a, b) => a - b)) {
    firstColumn[d] = next;
    next += Math.ceil((perLevel[d] ?? 0) / MAX_ROWS);
  }
  const onPath = new Set(criticalPath);
  const critical = criticalEdges(criticalPath);
  const ordered = [...tasks].sort((a, b) => Number(onPath.has(b.id)) - Number(onPath.has(a.id)) || a.priority - b.priority || a.id.localeCompare(b.id));
  // Cards are stacked down each column by their height, so long titles never overlap the card below.
  const columnBottom: Record<number, number> = {};
  const nodes: TaskNode[] = ordered.map((task) => {
    const layer = level[task.id] ?? 0;
    const index = rows[layer] ?? 0;
    rows[layer] = index + 1;
    const column = (firstColumn[layer] ?? 0) + Math.floor(index / MAX_ROWS);
    const y = columnBottom[column] ?? 0;
    columnBottom[column] = y + (measuredHeights.get(task.id) ?? estimatedHeight(task)) + ROW_GAP;
    return { id: task.id, type: "task", position: { x: column * COLUMN_WIDTH, y }, data: { task, critical: onPath.has(task.id) }, draggable: false };
  });
  const ids = new Set(tasks.map((t) => t.id));
  const edges: Edge[] = tasks.flatMap((task) =>
    task.depends_on
      .filter((dep) => ids.has(dep))
      .map((dep) => {
        const isCritical = critical.has(`${dep}->${task.id}`);
        return { id: `${dep}->${task.id}`, source: dep, target: task.id, type: "smoothstep", animated: isCritical, className: isCritical ? "edge-critical" : undefined };
      }),
  );
  return { nodes, edges };
}

/** Board columns: every status, each with its tasks by priority then id. */
export function columns(tasks: Task[]): Record<string, Task[]> {
  const board: Record<string, Task[]> = Object.fromEntries(TASK_STATUSES.map((s) => [s, [] as Task[]]));
  for (const task of tasks) (board[task.status] ??= []).push(task);
  for (const list of Object.values(board)) list.sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  return board;
}

export function hours(value: number): string {
  return value >= 10 ? `${Math.round(value)} h` : `${value.toFixed(1)} h`;
}
