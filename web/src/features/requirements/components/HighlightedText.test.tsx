import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HighlightedText } from "./HighlightedText";
import { segmentText } from "./spans";

const TEXT = "The system should be fast and user-friendly.";
const finding = (start: number, end: number, category: string, severity = "medium") => ({
  start,
  end,
  text: TEXT.slice(start, end),
  category,
  severity,
  message: `${category} message`,
});

describe("HighlightedText", () => {
  it("marks exactly each finding's span and leaves the rest as plain text", () => {
    const { container } = render(<HighlightedText text={TEXT} findings={[finding(21, 25, "missing_metric", "high"), finding(30, 43, "subjective_language")]} />);
    const marks = [...container.querySelectorAll("mark")];
    expect(marks.map((m) => m.textContent)).toEqual(["fast", "user-friendly"]);
    expect(marks[0]).toHaveClass("finding-high");
    expect(marks[1]).toHaveClass("finding-medium");
    expect(container.textContent).toBe(TEXT);
  });

  it("does not paint the whole requirement for a finding about all of it", () => {
    const whole = finding(0, TEXT.length, "missing_acceptance_criteria");
    const { container } = render(<HighlightedText text={TEXT} findings={[whole, finding(21, 25, "missing_metric")]} />);
    expect([...container.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["fast"]);
  });

  it("splits overlapping findings at every boundary, the worst severity winning", () => {
    const { segments } = segmentText(TEXT, [finding(11, 25, "uncertain_verb", "low"), finding(21, 29, "missing_metric", "high")]);
    expect(segments.map((s) => [s.text, s.findings.map((f) => f.category)])).toEqual([
      ["The system ", []],
      ["should be ", ["uncertain_verb"]],
      ["fast", ["missing_metric", "uncertain_verb"]],
      [" and", ["missing_metric"]],
      [" user-friendly.", []],
    ]);
  });

  it("finds the span by its text when the offsets are stale", () => {
    const stale = { ...finding(21, 25, "missing_metric"), start: 0, end: 4 };
    const { segments } = segmentText(TEXT, [stale]);
    expect(segments.find((s) => s.findings.length)?.text).toBe("fast");
  });

  it("selects a finding by click or keyboard", async () => {
    const onSelect = vi.fn();
    const fast = finding(21, 25, "missing_metric");
    render(<HighlightedText text={TEXT} findings={[fast]} onSelect={onSelect} />);
    const mark = screen.getByRole("button", { name: /fast — Missing metric: missing_metric message/ });
    await userEvent.click(mark);
    mark.focus();
    await userEvent.keyboard("{Enter}");
    expect(onSelect).toHaveBeenCalledTimes(2);
    expect(onSelect).toHaveBeenCalledWith(fast);
  });
});
