import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/api/errors";
import { mapProblems, problemsOf } from "./problems";

const invalid = new ApiError(422, {
  error: "invalid_workflow",
  message: "The workflow graph is invalid (4 problem(s)).",
  problems: [
    { node_id: "greet", field: null, message: "needs at least 1 incoming connection(s), has 0" },
    { node_id: "greet", field: "config.output", message: "nodes[1].config.output: Field required" },
    { node_id: "fetch", field: "config.url", message: "config.url: String should have at least 1 character" },
    { node_id: null, field: null, message: "a workflow needs at least one trigger node (manual, webhook or cron)" },
    { node_id: "ghost", field: "connections", message: "connections[0] refers to unknown node 'ghost'" },
  ],
});

describe("problemsOf", () => {
  it("reads the problems of an invalid_workflow answer only", () => {
    expect(problemsOf(invalid)).toHaveLength(5);
    expect(problemsOf(new ApiError(422, { error: "validation_error", message: "bad", problems: [{ message: "x" }] }))).toEqual([]);
    expect(problemsOf(new Error("boom"))).toEqual([]);
  });
});

describe("mapProblems", () => {
  it("puts each problem on its node and each config error on its field", () => {
    const map = mapProblems(problemsOf(invalid), ["start", "greet", "fetch"]);
    expect(map.byNode.greet!.map((p) => p.message)).toEqual([
      "needs at least 1 incoming connection(s), has 0",
      "nodes[1].config.output: Field required",
    ]);
    expect(map.byField.greet).toEqual({ output: ["Field required"] });
    expect(map.byField.fetch).toEqual({ url: ["String should have at least 1 character"] });
    expect(map.byNode.start).toBeUndefined();
  });

  it("keeps workflow-wide problems and problems of unknown nodes apart", () => {
    const map = mapProblems(problemsOf(invalid), ["greet", "fetch"]);
    expect(map.general.map((p) => p.node_id)).toEqual([null, "ghost"]);
  });
});
