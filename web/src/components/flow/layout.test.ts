import { describe, expect, it } from "vitest";
import { layout } from "./graph";

const diamond = [
  { source: "start", target: "check" },
  { source: "check", target: "approve", source_handle: "true" },
  { source: "check", target: "notify", source_handle: "false" },
  { source: "approve", target: "merge" },
  { source: "notify", target: "merge" },
];
const ids = ["merge", "notify", "start", "approve", "check"].map((id) => ({ id }));

describe("layout", () => {
  it("runs left to right along the connections, whatever order the nodes come in", () => {
    const at = layout(ids, diamond);
    for (const c of diamond) expect(at[c.target]!.x).toBeGreaterThan(at[c.source]!.x + 220);
    // The two branches share a column and do not overlap.
    expect(at.approve!.x).toBe(at.notify!.x);
    expect(Math.abs(at.approve!.y - at.notify!.y)).toBeGreaterThanOrEqual(72);
  });

  it("uses measured sizes so tall nodes do not overlap", () => {
    const at = layout(ids, diamond, { approve: { width: 240, height: 200 }, notify: { width: 240, height: 200 } });
    expect(Math.abs(at.approve!.y - at.notify!.y)).toBeGreaterThanOrEqual(200);
  });

  it("places a loop's back edge without failing and keeps every node", () => {
    const loop = [
      { source: "start", target: "each" },
      { source: "each", target: "work", source_handle: "item" },
      { source: "work", target: "each" },
      { source: "each", target: "done", source_handle: "done" },
    ];
    const at = layout(["start", "each", "work", "done"].map((id) => ({ id })), loop);
    expect(Object.keys(at).sort()).toEqual(["done", "each", "start", "work"]);
    expect(at.each!.x).toBeGreaterThan(at.start!.x);
    expect(at.work!.x).toBeGreaterThan(at.each!.x);
  });
});
