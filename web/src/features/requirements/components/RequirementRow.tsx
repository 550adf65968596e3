import { useState } from "react";
import { Badge, Button, useToast } from "@/components";
import { useUpsert } from "../hooks/useRequirements";
import { toInput, type Finding, type Requirement, type RequirementIn } from "../types";
import { FindingCard } from "./FindingCard";
import { HighlightedText } from "./HighlightedText";
import { RequirementEditor } from "./RequirementEditor";
import { applyRewrite, rewriteFor } from "./rewrite";
import { isWholeText, locate } from "./spans";

interface Props {
  projectId: string;
  requirement: Requirement;
  onHistory: (code: string) => void;
}

export function RequirementRow({ projectId, requirement, onHistory }: Props) {
  const findings = requirement.findings ?? [];
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState<Finding | null>(null);
  const [editing, setEditing] = useState<{ initial: RequirementIn; selection: [number, number] | null } | null>(null);
  const upsert = useUpsert(projectId);
  const toast = useToast();

  const textFindings = findings.filter((f) => f.field === "text");
  const wholeNotes = textFindings.filter((f) => isWholeText(requirement.text, f));

  function save(next: RequirementIn, message: string) {
    upsert.mutate([next], {
      onSuccess: (result) => {
        setEditing(null);
        setActive(null);
        toast(result.unchanged.includes(next.code) ? `${next.code} is unchanged` : message);
      },
    });
  }

  function apply(finding: Finding) {
    const rewrite = rewriteFor(finding.suggestion, finding.text);
    const span = locate(requirement.text, finding);
    if (!rewrite || !span) return;
    const text = applyRewrite(requirement.text, span[0], span[1], rewrite.replacement);
    const next = { ...toInput(requirement), text };
    if (rewrite.needsInput) {
      // Template slots (<N>, <load>) need the user's numbers: open the editor on the first slot.
      const slot = /<[^<>]+>/.exec(text);
      setEditing({ initial: next, selection: slot ? [slot.index, slot.index + slot[0].length] : null });
      setOpen(true);
      return;
    }
    save(next, `Applied to ${requirement.code}: “${finding.text}” → “${rewrite.replacement || "removed"}”`);
  }

  const select = (finding: Finding) => {
    setActive(finding);
    setOpen(true);
  };

  return (
    <tr className={`req-row${open ? " req-row-open" : ""}`} id={`req-${requirement.code}`}>
      <td data-label="Code" className="req-code">
        <code>{requirement.code}</code>
        <div className="muted small">v{requirement.version}</div>
      </td>
      <td data-label="Requirement" className="req-main">
        {editing ? (
          <RequirementEditor
            initial={editing.initial}
            selection={editing.selection}
            busy={upsert.isPending}
            error={upsert.error}
            onCancel={() => {
              setEditing(null);
              upsert.reset();
            }}
            onSave={(next) => save(next, `Saved ${next.code} as a new version`)}
          />
        ) : (
          <>
            {requirement.title && <div className="req-title">{requirement.title}</div>}
            <p className="req-text">
              <HighlightedText text={requirement.text} findings={textFindings} active={active} onSelect={select} />
            </p>
            {requirement.acceptance_criteria.length > 0 && (
              <ul className="req-criteria" aria-label="Acceptance criteria">
                {requirement.acceptance_criteria.map((criterion, index) => (
                  <li key={index}>
                    <HighlightedText text={criterion} findings={findings.filter((f) => f.field === `acceptance_criteria[${index}]`)} active={active} onSelect={select} />
                  </li>
                ))}
              </ul>
            )}
            {wholeNotes.length > 0 && (
              <div className="req-notes">
                {wholeNotes.map((f) => (
                  <button key={f.category} type="button" className="note-chip" onClick={() => select(f)} title={f.message}>
                    {f.message.split(":")[0]}
                  </button>
                ))}
              </div>
            )}
            {requirement.dependencies.length > 0 && <div className="muted small">Depends on {requirement.dependencies.join(", ")}</div>}
            {open && findings.length > 0 && (
              <ul className="finding-list" aria-label={`Findings of ${requirement.code}`}>
                {findings.map((finding, index) => (
                  <FindingCard
                    key={`${finding.category}-${finding.field}-${finding.start}-${index}`}
                    finding={finding}
                    active={active === finding}
                    busy={upsert.isPending}
                    onApply={apply}
                    onFocus={setActive}
                  />
                ))}
              </ul>
            )}
            {open && upsert.error !== null && !editing && <p className="field-error">{upsert.error instanceof Error ? upsert.error.message : "Saving failed."}</p>}
          </>
        )}
      </td>
      <td data-label="Priority">{requirement.priority ? <Badge>{requirement.priority}</Badge> : <span className="muted">—</span>}</td>
      <td data-label="Findings">
        {findings.length === 0 ? (
          <Badge tone="success">clean</Badge>
        ) : (
          <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
            <Badge tone={findings.some((f) => f.severity === "high" || f.severity === "critical") ? "danger" : "warning"}>
              {findings.length} finding{findings.length === 1 ? "" : "s"}
            </Badge>
          </button>
        )}
      </td>
      <td className="cell-actions" data-label="">
        {!editing && (
          <div className="row gap-sm">
            <Button size="sm" onClick={() => setEditing({ initial: toInput(requirement), selection: null })} aria-label={`Edit ${requirement.code}`}>
              Edit
            </Button>
            <Button size="sm" variant="ghost" onClick={() => onHistory(requirement.code)} aria-label={`History of ${requirement.code}`}>
              History
            </Button>
          </div>
        )}
      </td>
    </tr>
  );
}
