import { Badge, Button, severityTone } from "@/components";
import { humanize } from "@/lib/format";
import type { Finding } from "../types";
import { rewriteFor } from "./rewrite";

interface Props {
  finding: Finding;
  active: boolean;
  busy: boolean;
  onApply: (finding: Finding) => void;
  onFocus: (finding: Finding) => void;
}

/** One finding: where, why, the suggested rewrite, and the button that applies it. */
export function FindingCard({ finding, active, busy, onApply, onFocus }: Props) {
  const rewrite = finding.field === "text" ? rewriteFor(finding.suggestion, finding.text) : null;
  return (
    <li className={`finding-card${active ? " finding-card-active" : ""}`} onClick={() => onFocus(finding)}>
      <div className="finding-card-head">
        <Badge tone={severityTone(finding.severity)}>{finding.severity}</Badge>
        <strong>{humanize(finding.category)}</strong>
        {finding.field !== "text" && <span className="muted small">in {finding.field.replace("acceptance_criteria", "criterion ").replace(/[[\]]/g, "")}</span>}
      </div>
      <p className="finding-message">{finding.message}</p>
      <p className="finding-suggestion">
        <span className="muted">Suggestion: </span>
        {finding.suggestion}
      </p>
      {rewrite && (
        <div className="finding-apply">
          <span className="rewrite-preview">
            <del>{finding.text}</del> → {rewrite.replacement ? <ins>{rewrite.replacement}</ins> : <em>removed</em>}
          </span>
          <Button
            size="sm"
            variant="primary"
            busy={busy}
            onClick={(event) => {
              event.stopPropagation();
              onApply(finding);
            }}
            aria-label={`Apply the suggested rewrite for “${finding.text}”`}
          >
            {rewrite.needsInput ? "Apply & fill in" : "Apply"}
          </Button>
        </div>
      )}
    </li>
  );
}
