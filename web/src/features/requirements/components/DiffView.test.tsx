import { describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
import { diffWords } from "@/lib/diff";
import { ListDiff, UnifiedDiff, WordDiff } from "./DiffView";

describe("diff views", () => {
  it("diffWords keeps shared words and reports the replaced one", () => {
    expect(diffWords("Users can export reports.", "Users shall export reports.")).toEqual([
      { kind: "same", text: "Users " },
      { kind: "removed", text: "can" },
      { kind: "added", text: "shall" },
      { kind: "same", text: " export reports." },
    ]);
  });

  it("WordDiff strikes removed words and marks added ones", () => {
    const { container } = render(<WordDiff before="The system should be fast." after="The system shall respond within 200 ms." />);
    expect([...container.querySelectorAll("del")].map((d) => d.textContent).join("|")).toBe("should be fast.");
    expect([...container.querySelectorAll("ins")].map((d) => d.textContent).join("|")).toBe("shall respond within 200 ms.");
  });

  it("UnifiedDiff colours each line by its kind", () => {
    const { container } = render(<UnifiedDiff lines={["--- v1", "+++ v2", "@@ -1 +1 @@", "-Users can export.", "+Users shall export."]} />);
    expect([...container.querySelectorAll(".diff-line")].map((l) => l.className.replace("diff-line ", ""))).toEqual(["diff-meta", "diff-meta", "diff-hunk", "diff-del", "diff-add"]);
  });

  it("ListDiff lists criteria added and removed, nothing when equal", () => {
    const { container, rerender } = render(<ListDiff before={["A", "B"]} after={["B", "C"]} />);
    expect(container.querySelector("del")?.textContent).toBe("A");
    expect(container.querySelector("ins")?.textContent).toBe("C");
    rerender(<ListDiff before={["A"]} after={["A"]} />);
    expect(container.textContent).toBe("");
  });
});
