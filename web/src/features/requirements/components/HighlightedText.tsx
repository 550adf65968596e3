import { humanize } from "@/lib/format";
import { segmentText, severityRank, type SpanFinding } from "./spans";

interface Props<F extends SpanFinding> {
  text: string;
  findings: F[];
  /** The finding currently selected (shown stronger). */
  active?: F | null;
  onSelect?: (finding: F) => void;
}

/** The text with every finding marked on its exact span; a mark is focusable and names its findings. */
export function HighlightedText<F extends SpanFinding>({ text, findings, active, onSelect }: Props<F>) {
  const { segments } = segmentText(text, findings);
  return (
    <span className="highlighted">
      {segments.map((segment) => {
        if (segment.findings.length === 0) return <span key={segment.start}>{segment.text}</span>;
        const top = segment.findings[0]!;
        const label = segment.findings.map((f) => `${humanize(f.category)}: ${f.message}`).join("\n");
        const severity = segment.findings.reduce((worst, f) => (severityRank(f.severity) > severityRank(worst) ? f.severity : worst), top.severity);
        const isActive = active ? segment.findings.includes(active) : false;
        return (
          <mark
            key={segment.start}
            className={`finding-mark finding-${severity}${isActive ? " finding-active" : ""}`}
            data-category={segment.findings.map((f) => f.category).join(" ")}
            title={label}
            aria-label={`${segment.text} — ${label}`}
            tabIndex={onSelect ? 0 : undefined}
            role={onSelect ? "button" : undefined}
            onClick={onSelect ? () => onSelect(top) : undefined}
            onKeyDown={
              onSelect
                ? (event) => {
                    if (event.key === "Enter" || event.key === " ") {
                      event.preventDefault();
                      onSelect(top);
                    }
                  }
                : undefined
            }
          >
            {segment.text}
          </mark>
        );
      })}
    </span>
  );
}
