import { useState } from "react";
import { useParams } from "react-router-dom";
import { Badge, Button, Card, EmptyState, ErrorMessage, QualityScores, QueryState, SelectField, useToast } from "@/components";
import { humanize } from "@/lib/format";
import { exportRequirements } from "../api/requirements";
import { useRequirements, useUpsert } from "../hooks/useRequirements";
import { FORMATS, type FormatName, type RequirementList, type UpsertResult } from "../types";
import { HistoryDialog } from "./HistoryDialog";
import { ImportDialog } from "./ImportDialog";
import { RequirementEditor } from "./RequirementEditor";
import { RequirementRow } from "./RequirementRow";

function ExportControl({ projectId }: { projectId: string }) {
  const [format, setFormat] = useState<FormatName>("markdown");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function download() {
    setBusy(true);
    setError(null);
    try {
      const content = await exportRequirements(projectId, format);
      const ext = FORMATS.find((f) => f.value === format)?.extensions[0] ?? ".txt";
      const url = URL.createObjectURL(new Blob([content], { type: "text/plain" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = `requirements${ext}`;
      link.click();
      URL.revokeObjectURL(url);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="export-control">
      <SelectField label="Export as" value={format} onChange={(e) => setFormat(e.target.value as FormatName)}>
        {FORMATS.map((f) => (
          <option key={f.value} value={f.value}>
            {f.label}
          </option>
        ))}
      </SelectField>
      <Button busy={busy} onClick={() => void download()}>
        Download
      </Button>
      <ErrorMessage error={error} />
    </div>
  );
}

function ProjectFindings({ list }: { list: RequirementList }) {
  const projectFindings = list.project_findings ?? [];
  if (projectFindings.length === 0) return null;
  return (
    <Card title="Across requirements">
      <ul className="finding-list">
        {projectFindings.map((finding, index) => (
          <li key={index} className="finding-card">
            <div className="finding-card-head">
              <Badge tone={finding.severity === "high" ? "danger" : "warning"}>{finding.severity}</Badge>
              <strong>{humanize(finding.category)}</strong>
              <span className="muted small">{finding.codes.join(", ")}</span>
            </div>
            <p className="finding-message">{finding.message}</p>
            <p className="finding-suggestion">
              <span className="muted">Suggestion: </span>
              {finding.suggestion}
            </p>
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function RequirementsPage() {
  const { projectId = "" } = useParams();
  const requirements = useRequirements(projectId);
  const [importing, setImporting] = useState(false);
  const [adding, setAdding] = useState(false);
  const [history, setHistory] = useState<string | null>(null);
  const upsert = useUpsert(projectId);
  const toast = useToast();

  const imported = (result: UpsertResult) => {
    setImporting(false);
    toast(`Imported: ${result.created.length} new, ${result.updated.length} updated, ${result.unchanged.length} unchanged`);
  };
  const actions = (
    <div className="row gap-sm">
      <Button onClick={() => setAdding(true)}>Add requirement</Button>
      <Button variant="primary" onClick={() => setImporting(true)}>
        Import
      </Button>
    </div>
  );

  return (
    <div className="stack-lg">
      <QueryState query={requirements} loadingLabel="Analysing requirements…">
        {(list) => {
          const findings = list.items.reduce((sum, r) => sum + (r.findings?.length ?? 0), 0) + (list.project_findings?.length ?? 0);
          return (
            <>
              {list.items.length > 0 && list.scores && (
                <Card
                  title="Quality"
                  subtitle={`${list.total} requirements · ${findings} findings`}
                  actions={list.meets_thresholds ? <Badge tone="success">Meets thresholds</Badge> : <Badge tone="warning">Below thresholds</Badge>}
                >
                  <QualityScores scores={list.scores} />
                </Card>
              )}
              <Card title="Requirements" subtitle="Click a highlighted phrase to see why it was flagged and apply the suggested rewrite." actions={actions}>
                {adding && (
                  <div className="editor-new">
                    <RequirementEditor
                      isNew
                      initial={{ code: "", text: "", title: null, acceptance_criteria: [], priority: null, dependencies: [], tags: [] }}
                      busy={upsert.isPending}
                      error={upsert.error}
                      onCancel={() => {
                        setAdding(false);
                        upsert.reset();
                      }}
                      onSave={(next) =>
                        upsert.mutate([next], {
                          onSuccess: () => {
                            setAdding(false);
                            toast(`Added ${next.code}`);
                          },
                        })
                      }
                    />
                  </div>
                )}
                {list.items.length === 0 ? (
                  <EmptyState title="No requirements yet" action={<Button variant="primary" onClick={() => setImporting(true)}>Import requirements</Button>}>
                    Paste a list or upload Markdown, text, CSV, JSON or YAML. Each requirement is analysed for ambiguity, testability and completeness.
                  </EmptyState>
                ) : (
                  <div className="table-wrap">
                    <table className="table table-responsive req-table">
                      <thead>
                        <tr>
                          <th>Code</th>
                          <th>Requirement</th>
                          <th>Priority</th>
                          <th>Findings</th>
                          <th>
                            <span className="visually-hidden">Actions</span>
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {list.items.map((requirement) => (
                          <RequirementRow key={requirement.code} projectId={projectId} requirement={requirement} onHistory={setHistory} />
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </Card>
              <ProjectFindings list={list} />
              {list.items.length > 0 && (
                <Card title="Export">
                  <ExportControl projectId={projectId} />
                </Card>
              )}
            </>
          );
        }}
      </QueryState>
      {importing && <ImportDialog projectId={projectId} onClose={() => setImporting(false)} onImported={imported} />}
      {history && <HistoryDialog projectId={projectId} code={history} onClose={() => setHistory(null)} />}
    </div>
  );
}
