/** Between the API's workflow (nodes + connections) and the canvas's nodes + edges. Pure. */
import dagre from "@dagrejs/dagre";
import type { Edge, Node } from "@xyflow/react";
import type { components } from "@/lib/api/schema";

export type NodeType = components["schemas"]["NodeTypeRead"];

/** A node as the API stores it (docs/workflows.md). */
export interface WorkflowNode {
  id: string;
  type: string;
  name?: string | null;
  config?: Record<string, unknown>;
  position?: { x: number; y: number };
  retry?: Record<string, unknown>;
}

export interface Connection {
  source: string;
  target: string;
  source_handle?: string | null;
}

/** A problem shown on a node (the builder's 422 problems). */
export interface NodeProblem {
  node_id: string | null;
  field: string | null;
  message: string;
}

export interface CanvasNodeData extends Record<string, unknown> {
  node: WorkflowNode;
  nodeType: NodeType | undefined;
  problems: NodeProblem[];
  /** Live status in the execution view (pending, running, completed, ...). */
  status?: string;
  readOnly?: boolean;
}

export type CanvasNode = Node<CanvasNodeData, "workflow">;

/** The handle id of a node's single plain output (nodes without named branches). */
export const DEFAULT_HANDLE = "out";

/** The output branches of a node: named handles, switch cases + default, or one plain output. */
export function outputHandles(node: WorkflowNode, nodeType: NodeType | undefined): string[] {
  if (!nodeType) return [DEFAULT_HANDLE];
  if (nodeType.dynamic_handles) {
    const cases = Array.isArray(node.config?.cases) ? (node.config.cases as { name?: unknown }[]) : [];
    return [...cases.map((c) => (typeof c.name === "string" && c.name ? c.name : "")).filter(Boolean), "default"];
  }
  return nodeType.handles.length > 0 ? nodeType.handles : [DEFAULT_HANDLE];
}

// Node boxes before they are measured (.flow-node is 190-240 px wide, about 70 px tall).
const DEFAULT_SIZE = { width: 220, height: 72 };

/**
 * Left-to-right layered positions (dagre: longest-path ranks, crossing minimisation), for nodes saved without
 * positions and for "Tidy up". Loops are fine: dagre reverses the edges it needs to make the graph acyclic.
 * `sizes` are measured boxes where the canvas has them. Positions are top-left corners, as React Flow wants.
 */
export function layout(
  nodes: { id: string }[],
  connections: Connection[],
  sizes: Record<string, { width: number; height: number }> = {},
): Record<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph<object, { width: number; height: number; x: number; y: number }, object>({ multigraph: true });
  graph.setGraph({ rankdir: "LR", nodesep: 48, ranksep: 90, marginx: 60, marginy: 60 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { ...(sizes[node.id] ?? DEFAULT_SIZE), x: 0, y: 0 });
  connections.forEach((c, index) => {
    if (graph.hasNode(c.source) && graph.hasNode(c.target)) graph.setEdge(c.source, c.target, {}, `${index}`);
  });
  dagre.layout(graph);
  const positions: Record<string, { x: number; y: number }> = {};
  for (const node of nodes) {
    const placed = graph.node(node.id);
    const size = sizes[node.id] ?? DEFAULT_SIZE;
    positions[node.id] = { x: Math.round(placed.x - size.width / 2), y: Math.round(placed.y - size.height / 2) };
  }
  return positions;
}

export function toCanvas(nodes: WorkflowNode[], connections: Connection[], types: NodeType[]): { nodes: CanvasNode[]; edges: Edge[] } {
  const byType = new Map(types.map((t) => [t.type, t]));
  const auto = layout(nodes, connections);
  return {
    nodes: nodes.map((node) => ({
      id: node.id,
      type: "workflow",
      position: node.position ?? auto[node.id] ?? { x: 0, y: 0 },
      data: { node, nodeType: byType.get(node.type), problems: [] },
    })),
    edges: connections.map((c) => toEdge(c)),
  };
}

export function toEdge(c: Connection): Edge {
  const handle = c.source_handle ?? null;
  return {
    id: `${c.source}->${c.target}${handle ? `:${handle}` : ""}`,
    source: c.source,
    target: c.target,
    sourceHandle: handle ?? DEFAULT_HANDLE,
    label: handle ?? undefined,
    type: "smoothstep",
  };
}

/** The canvas back to the API's content: positions rounded, plain outputs without a source_handle. */
export function fromCanvas(nodes: CanvasNode[], edges: Edge[]): { nodes: WorkflowNode[]; connections: Connection[] } {
  return {
    nodes: nodes.map((n) => {
      const node: WorkflowNode = { ...n.data.node, id: n.id, position: { x: Math.round(n.position.x), y: Math.round(n.position.y) } };
      if (!node.name) delete node.name;
      if (node.config && Object.keys(node.config).length === 0) delete node.config;
      return node;
    }),
    connections: edges.map((e) => {
      const connection: Connection = { source: e.source, target: e.target };
      if (e.sourceHandle && e.sourceHandle !== DEFAULT_HANDLE) connection.source_handle = e.sourceHandle;
      return connection;
    }),
  };
}

/** A fresh node id from its type: `approval`, `approval_2`, ... (ids are letters, digits, _ and -). */
export function newNodeId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(type)) return type;
  for (let i = 2; ; i++) if (!used.has(`${type}_${i}`)) return `${type}_${i}`;
}

/** Sensible starting config for a node dropped from the palette: the required fields a new user would have to look up. */
export function starterConfig(type: string): Record<string, unknown> {
  switch (type) {
    case "transform":
      return { output: "{{ input }}" };
    case "condition":
      return { expression: "input.ok" };
    case "switch":
      return { value: "input.kind", cases: [{ name: "a", equals: "a" }] };
    case "loop":
      return { items: "input.items" };
    case "wait":
      return { seconds: 1 };
    case "http_request":
      return { method: "GET", url: "https://example.com" };
    case "cron":
      return { cron: "0 9 * * 1-5" };
    default:
      return {};
  }
}
