import { useCallback, useMemo, useState } from "react";
import type { Node, NodeChange, NodeDimensionChange } from "@xyflow/react";

type Size = NonNullable<Node["measured"]>;

/**
 * For read-only canvases whose nodes are re-derived from server state on every change (live status, task status).
 * React Flow keeps a node's measured size on the node object it is given: a fresh object without `measured` is
 * hidden until measured again, and its ResizeObserver never fires again because the size did not change, so the
 * node would stay invisible. This remembers each node's measured size and puts it back on every re-derived node.
 */
export function useMeasuredNodes<N extends Node>(nodes: N[]): { nodes: N[]; onNodesChange: (changes: NodeChange<N>[]) => void; sizes: ReadonlyMap<string, Size> } {
  const [sizes, setSizes] = useState<ReadonlyMap<string, Size>>(new Map());
  const onNodesChange = useCallback((changes: NodeChange<N>[]) => {
    const measured = changes.filter((c): c is NodeDimensionChange => c.type === "dimensions" && c.dimensions !== undefined);
    if (measured.length === 0) return;
    setSizes((current) => {
      const next = new Map(current);
      for (const change of measured) if (change.dimensions) next.set(change.id, change.dimensions);
      return next;
    });
  }, []);
  const withSizes = useMemo(() => nodes.map((node) => (sizes.has(node.id) ? { ...node, measured: sizes.get(node.id) } : node)), [nodes, sizes]);
  return { nodes: withSizes, onNodesChange, sizes };
}
