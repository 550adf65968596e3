import { describe, expect, it } from "vitest";
import { applyRewrite, rewriteFor } from "./rewrite";

describe("rewriteFor", () => {
  it("takes the quoted replacement of a Replace suggestion", () => {
    expect(rewriteFor('Replace "can" with "shall" if it is required, or move it to a list of options.', "can")).toEqual({ replacement: "shall", needsInput: false });
  });
  it("takes the example after e.g. and flags template slots", () => {
    expect(rewriteFor('Replace "fast" with a bound, e.g. "within <N> ms (p95) under <load>".', "fast")).toEqual({
      replacement: "within <N> ms (p95) under <load>",
      needsInput: true,
    });
  });
  it("uses the word a Use suggestion names", () => {
    expect(rewriteFor('Use "shall" (e.g. "the system shall allow <actor> to ...") if this is required.', "can")?.replacement).toBe("shall");
  });
  it("removes for a Remove suggestion", () => {
    expect(rewriteFor('Remove "if possible" or state when it does not apply.', "if possible")).toEqual({ replacement: "", needsInput: false });
  });
  it("offers nothing when the suggestion is advice, not a rewrite", () => {
    expect(rewriteFor('Add criteria: "Given <context>, when <action>, then <observable result>".', "x")).toBeNull();
    expect(rewriteFor("List every item, or point to the closed list that defines them.", "etc")).toBeNull();
  });
});

describe("applyRewrite", () => {
  it("splices the span and tidies spaces and punctuation", () => {
    expect(applyRewrite("Users can export reports.", 6, 9, "shall")).toBe("Users shall export reports.");
    expect(applyRewrite("Search should be fast and user-friendly.", 26, 39, "")).toBe("Search should be fast and.");
  });
});
