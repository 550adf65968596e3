/**
 * Splits a requirement's text into segments at every finding boundary, so each finding is
 * highlighted on exactly its [start, end) span, overlaps included. Findings that cover the
 * whole text (missing criteria, missing actor, ...) are about the requirement, not a span:
 * they are returned apart, to be shown as notes rather than painting everything.
 */
export interface SpanFinding {
  start: number;
  end: number;
  text: string;
  severity: string;
  category: string;
  message: string;
}

export interface Segment<F extends SpanFinding> {
  start: number;
  end: number;
  text: string;
  findings: F[];
}

const SEVERITY_RANK: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export function severityRank(severity: string): number {
  return SEVERITY_RANK[severity] ?? 0;
}

/** The span a finding really covers in `text`: its offsets, or where its quoted text is if the offsets moved. */
export function locate(text: string, finding: SpanFinding): [number, number] | null {
  if (finding.start >= 0 && finding.end <= text.length && finding.start < finding.end && text.slice(finding.start, finding.end) === finding.text) {
    return [finding.start, finding.end];
  }
  const at = finding.text ? text.indexOf(finding.text) : -1;
  return at >= 0 ? [at, at + finding.text.length] : null;
}

export function isWholeText(text: string, finding: SpanFinding): boolean {
  const span = locate(text, finding);
  if (!span) return false;
  return text.slice(0, span[0]).trim() === "" && text.slice(span[1]).trim() === "";
}

export function segmentText<F extends SpanFinding>(text: string, findings: F[]): { segments: Segment<F>[]; whole: F[] } {
  const whole: F[] = [];
  const spans: { finding: F; start: number; end: number }[] = [];
  for (const finding of findings) {
    const span = locate(text, finding);
    if (!span) continue;
    if (isWholeText(text, finding)) {
      whole.push(finding);
    } else {
      spans.push({ finding, start: span[0], end: span[1] });
    }
  }
  const cuts = new Set<number>([0, text.length]);
  spans.forEach((s) => {
    cuts.add(s.start);
    cuts.add(s.end);
  });
  const points = [...cuts].sort((a, b) => a - b);
  const segments: Segment<F>[] = [];
  for (let i = 0; i < points.length - 1; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    if (start === end) continue;
    const covering = spans.filter((s) => s.start <= start && s.end >= end).map((s) => s.finding);
    covering.sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
    segments.push({ start, end, text: text.slice(start, end), findings: covering });
  }
  return { segments, whole };
}
