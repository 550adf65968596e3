import { useEffect, useState } from "react";
import { Badge, Card } from "@/components";
import { humanize } from "@/lib/format";
import { STATUS_TONE, type Evidence, type FileLink, type Report, type RequirementResult } from "../types";
import { pct } from "./matrix";

function lineRange(lines: [number, number] | undefined): string {
  if (!lines) return "";
  return lines[0] === lines[1] ? `line ${lines[0]}` : `lines ${lines[0]}–${lines[1]}`;
}

function EvidenceItem({ evidence, path }: { evidence: Evidence; path: string }) {
  if (evidence.kind === "passage" && evidence.passage) {
    const start = evidence.lines?.[0] ?? 1;
    return (
      <div className="evidence-code">
        <div className="evidence-code-head">
          <code>{path}</code> <span className="muted small">{lineRange(evidence.lines)}</span>
        </div>
        <pre className="code-lines">
          {evidence.passage.split("\n").map((line, index) => (
            <span key={index} className="code-line">
              <span className="code-ln" aria-hidden="true">
                {start + index}
              </span>
              {line}
            </span>
          ))}
        </pre>
        <p className="muted small">{evidence.why}</p>
      </div>
    );
  }
  if (evidence.kind === "symbol") {
    return (
      <div className="evidence-symbol">
        <code className="evidence-symbol-name">
          {evidence.symbol_kind} {evidence.symbol}
        </code>
        <span className="evidence-lines">
          {path}:{evidence.lines?.[0]}
          {evidence.lines && evidence.lines[1] !== evidence.lines[0] ? `–${evidence.lines[1]}` : ""}
        </span>
        <span className="muted small">{evidence.why}</span>
      </div>
    );
  }
  return (
    <div className="evidence-field">
      <span className="muted small">{evidence.field ? `${humanize(evidence.field)}:` : "Shared words:"}</span>{" "}
      {evidence.terms.map((term) => (
        <span key={term} className="term-chip">
          {term}
        </span>
      ))}
    </div>
  );
}

function FileEvidence({ link, highlighted }: { link: FileLink; highlighted: boolean }) {
  const ordered = [...link.evidence].sort((a, b) => order(a) - order(b));
  return (
    <li className={`file-evidence${highlighted ? " file-evidence-focus" : ""}`} id={highlighted ? "evidence-focus" : undefined}>
      <div className="file-evidence-head">
        <code className="file-path">{link.path}</code>
        <Badge tone={link.role === "test" ? "accent" : "info"}>{link.role === "test" ? "test" : "implementation"}</Badge>
        <span className="muted small">score {pct(link.score)}</span>
      </div>
      <div className="stack" style={{ gap: 8 }}>
        {ordered.map((evidence, index) => (
          <EvidenceItem key={index} evidence={evidence} path={link.path} />
        ))}
      </div>
    </li>
  );
}

function order(evidence: Evidence): number {
  return { symbol: 0, passage: 1, field: 2, terms: 3 }[evidence.kind] ?? 4;
}

function RequirementBlock({ requirement, text, open, onToggle, focusPath }: { requirement: RequirementResult; text?: string; open: boolean; onToggle: () => void; focusPath?: string }) {
  const linked = [...requirement.links, ...requirement.tests].filter((link) => link.linked || link.path === focusPath);
  return (
    <section className="evidence-block" id={`evidence-${requirement.code}`}>
      <button type="button" className="evidence-toggle" aria-expanded={open} onClick={onToggle}>
        <span className="evidence-caret" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
        <span className="matrix-code">{requirement.code}</span>
        <Badge tone={STATUS_TONE[requirement.status]}>{humanize(requirement.status)}</Badge>
        <span className="evidence-text">{text}</span>
        <span className="evidence-stats muted small">
          coverage {pct(requirement.coverage)} · {linked.length} file(s)
          {requirement.criteria_total > 0 && ` · criteria ${requirement.criteria_met}/${requirement.criteria_total}`}
        </span>
      </button>
      {open && (
        <div className="evidence-body">
          {requirement.missing_terms.length > 0 && (
            <p className="small">
              <span className="muted">Words not found in the linked code: </span>
              {requirement.missing_terms.map((term) => (
                <span key={term} className="term-chip term-chip-missing">
                  {term}
                </span>
              ))}
            </p>
          )}
          {linked.length === 0 ? (
            <p className="muted">No file is linked: nothing in the code uses enough of this requirement's words.</p>
          ) : (
            <ul className="list file-evidence-list">
              {linked.map((link) => (
                <FileEvidence key={`${link.role}-${link.path}`} link={link} highlighted={link.path === focusPath} />
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

/** Per requirement: status, coverage, missing words, and for each linked file the symbols and lines that made the link. */
export function RequirementEvidence({ report, texts, focus }: { report: Report; texts: Map<string, string>; focus: { code: string; path?: string } | null }) {
  const [open, setOpen] = useState<Set<string>>(() => new Set(report.requirements.slice(0, 1).map((r) => r.code)));
  useEffect(() => {
    if (!focus) return;
    setOpen((current) => new Set(current).add(focus.code));
    window.setTimeout(() => {
      const target = document.getElementById("evidence-focus") ?? document.getElementById(`evidence-${focus.code}`);
      target?.scrollIntoView({ behavior: "smooth", block: "center" });
    }, 50);
  }, [focus]);
  const toggle = (code: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(code)) next.delete(code);
      else next.add(code);
      return next;
    });
  return (
    <Card
      title="Evidence by requirement"
      subtitle="Why each file was linked: the matching symbols with their lines, the comments that mention the requirement, and the shared words."
      actions={
        <button type="button" className="link-button small" onClick={() => setOpen(new Set(report.requirements.map((r) => r.code)))}>
          Expand all
        </button>
      }
    >
      <div className="evidence-list">
        {report.requirements.map((requirement) => (
          <RequirementBlock
            key={requirement.code}
            requirement={requirement}
            text={texts.get(requirement.code)}
            open={open.has(requirement.code)}
            onToggle={() => toggle(requirement.code)}
            focusPath={focus?.code === requirement.code ? focus.path : undefined}
          />
        ))}
      </div>
    </Card>
  );
}
