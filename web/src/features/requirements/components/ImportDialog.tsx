import { useState, type ChangeEvent, type FormEvent } from "react";
import { Button, Dialog, ErrorMessage, SelectField, TextAreaField } from "@/components";
import { useImport } from "../hooks/useRequirements";
import { FORMATS, type FormatName, type UpsertResult } from "../types";

const EXAMPLE = `- REQ-1: The system shall let a signed-in user export a report as CSV within 5 seconds.
- REQ-2: Search should be fast and user-friendly.`;

export function ImportDialog({ projectId, onClose, onImported }: { projectId: string; onClose: () => void; onImported: (result: UpsertResult) => void }) {
  const [content, setContent] = useState("");
  const [filename, setFilename] = useState<string | null>(null);
  const [format, setFormat] = useState<FormatName | "">("");
  const [fileError, setFileError] = useState<string | null>(null);
  const importer = useImport(projectId);

  function pickFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    setFileError(null);
    if (file.size > 5_000_000) {
      setFileError("The file is larger than 5 MB.");
      return;
    }
    file.text().then(
      (text) => {
        setContent(text);
        setFilename(file.name);
      },
      () => setFileError("The file could not be read."),
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    importer.mutate({ content, format: format || null, filename }, { onSuccess: onImported });
  }

  return (
    <Dialog title="Import requirements" onClose={onClose} wide>
      <form className="stack" onSubmit={submit}>
        <p className="muted">
          Paste or upload Markdown (headings or lists), plain text (one per line), CSV, JSON or YAML. Codes like <code>REQ-1</code> are kept; existing codes get a new version only when
          they change.
        </p>
        <div className="form-row">
          <div className="field">
            <label htmlFor="import-file">File</label>
            <input id="import-file" type="file" className="input" accept=".md,.markdown,.txt,.csv,.json,.yaml,.yml,text/*,application/json" onChange={pickFile} />
            {fileError && <p className="field-error">{fileError}</p>}
          </div>
          <SelectField label="Format" value={format} onChange={(e) => setFormat(e.target.value as FormatName | "")}>
            <option value="">Detect automatically</option>
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </SelectField>
        </div>
        <TextAreaField
          label={filename ? `Content of ${filename}` : "Requirements"}
          rows={12}
          className="input mono"
          value={content}
          placeholder={EXAMPLE}
          onChange={(e) => {
            setContent(e.target.value);
            setFilename(null);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.metaKey || e.ctrlKey) && content.trim()) {
              e.preventDefault();
              importer.mutate({ content, format: format || null, filename }, { onSuccess: onImported });
            }
          }}
        />
        <ErrorMessage error={importer.error} />
        <div className="row-end">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={importer.isPending} disabled={!content.trim()}>
            Import
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
