import { useState, type FormEvent, type KeyboardEvent } from "react";
import { Button, ErrorMessage, TextAreaField, TextField } from "@/components";
import type { RequirementIn } from "../types";

interface Props {
  initial: RequirementIn;
  isNew?: boolean;
  busy: boolean;
  error: unknown;
  /** Select this [start, end) range of the text when the editor opens (a template slot to fill). */
  selection?: [number, number] | null;
  onSave: (requirement: RequirementIn) => void;
  onCancel: () => void;
}

const lines = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

/** Inline editor: Ctrl/Cmd+Enter saves, Escape cancels. Saving makes a new version. */
export function RequirementEditor({ initial, isNew, busy, error, selection, onSave, onCancel }: Props) {
  const [code, setCode] = useState(initial.code);
  const [title, setTitle] = useState(initial.title ?? "");
  const [text, setText] = useState(initial.text);
  const [criteria, setCriteria] = useState((initial.acceptance_criteria ?? []).join("\n"));
  const [priority, setPriority] = useState(initial.priority ?? "");
  const [dependencies, setDependencies] = useState((initial.dependencies ?? []).join(", "));

  function save(event?: FormEvent) {
    event?.preventDefault();
    onSave({
      ...initial,
      code: code.trim(),
      title: title.trim() || null,
      text: text.trim(),
      acceptance_criteria: lines(criteria),
      priority: priority.trim() || null,
      dependencies: dependencies
        .split(",")
        .map((d) => d.trim())
        .filter(Boolean),
    });
  }

  function keys(event: KeyboardEvent) {
    if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      save();
    }
  }

  return (
    <form className="editor stack" onSubmit={save} onKeyDown={keys} aria-label={isNew ? "New requirement" : `Edit ${initial.code}`}>
      <div className="form-row">
        {isNew && <TextField label="Code" value={code} onChange={(e) => setCode(e.target.value)} required placeholder="REQ-7" maxLength={50} />}
        <TextField label="Title" value={title} onChange={(e) => setTitle(e.target.value)} />
        <TextField label="Priority" value={priority} onChange={(e) => setPriority(e.target.value)} placeholder="high" />
      </div>
      <TextAreaField
        label="Requirement"
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        required
        autoFocus
        onFocus={(e) => {
          if (selection) e.currentTarget.setSelectionRange(selection[0], selection[1]);
        }}
        hint={selection ? "Fill in the highlighted slot, then save (Ctrl+Enter)." : undefined}
      />
      <TextAreaField label="Acceptance criteria (one per line)" rows={3} value={criteria} onChange={(e) => setCriteria(e.target.value)} placeholder="Given …, when …, then …" />
      <TextField label="Depends on (codes, comma-separated)" value={dependencies} onChange={(e) => setDependencies(e.target.value)} />
      <ErrorMessage error={error} />
      <div className="row-end">
        <span className="muted small kbd-hint">Ctrl+Enter to save · Esc to cancel</span>
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" busy={busy} disabled={!text.trim() || !code.trim()}>
          {isNew ? "Add requirement" : "Save new version"}
        </Button>
      </div>
    </form>
  );
}
