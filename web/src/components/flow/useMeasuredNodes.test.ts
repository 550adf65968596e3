import { act, renderHook } from "@testing-library/react";
import type { Node, NodeChange } from "@xyflow/react";
import { describe, expect, it } from "vitest";
import { useMeasuredNodes } from "./useMeasuredNodes";

const derive = (status: string): Node[] => [
  { id: "start", position: { x: 0, y: 0 }, data: { status } },
  { id: "report", position: { x: 200, y: 0 }, data: { status: "pending" } },
];

describe("useMeasuredNodes", () => {
  it("puts each measured size back on freshly derived node objects", () => {
    const { result, rerender } = renderHook(({ nodes }) => useMeasuredNodes(nodes), { initialProps: { nodes: derive("running") } });
    expect(result.current.nodes.every((n) => n.measured === undefined)).toBe(true);

    const measured: NodeChange<Node>[] = [
      { type: "dimensions", id: "start", dimensions: { width: 120, height: 56 } },
      { type: "dimensions", id: "report", dimensions: { width: 110, height: 56 } },
      { type: "select", id: "start", selected: true },
    ];
    act(() => result.current.onNodesChange(measured));
    // The live view re-derives its nodes when a status arrives: new objects, same sizes.
    rerender({ nodes: derive("completed") });
    expect(result.current.nodes.map((n) => [n.id, n.measured, n.data.status])).toEqual([
      ["start", { width: 120, height: 56 }, "completed"],
      ["report", { width: 110, height: 56 }, "pending"],
    ]);
  });

  it("ignores changes that carry no size", () => {
    const nodes = derive("running");
    const { result } = renderHook(() => useMeasuredNodes(nodes));
    act(() => result.current.onNodesChange([{ type: "select", id: "start", selected: true }]));
    expect(result.current.nodes).toEqual(nodes);
  });
});
