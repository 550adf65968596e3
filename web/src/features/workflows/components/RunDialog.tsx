import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { Button, Dialog, ErrorMessage, SelectField, TextAreaField } from "@/components";
import { useStartExecution } from "../hooks/useWorkflows";
import type { Workflow, WorkflowNode } from "../types";

/** Start a run with a JSON input (pre-filled with the manual trigger's required fields), then watch it live. */
export function RunDialog({ workflow, onClose }: { workflow: Workflow; onClose: () => void }) {
  const triggers = (workflow.nodes as unknown as WorkflowNode[]).filter((node) => node.type === "manual");
  const [trigger, setTrigger] = useState(triggers[0]?.id ?? "");
  const required = (triggers.find((t) => t.id === trigger)?.config?.required_fields as string[] | undefined) ?? [];
  const [text, setText] = useState(() => JSON.stringify(Object.fromEntries(required.map((field) => [field, ""])), null, 2));
  const [parseError, setParseError] = useState<string | null>(null);
  const start = useStartExecution(workflow.id);
  const navigate = useNavigate();
  function run() {
    let input: unknown;
    try {
      input = text.trim() ? JSON.parse(text) : {};
    } catch (error) {
      setParseError(`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      setParseError("The input must be a JSON object, e.g. {\"name\": \"Ada\"}.");
      return;
    }
    setParseError(null);
    start.mutate({ input: input as Record<string, unknown>, trigger: trigger || null }, { onSuccess: (started) => void navigate(`/executions/${started.id}`) });
  }
  return (
    <Dialog
      title={`Run ${workflow.name}`}
      onClose={onClose}
      footer={
        <div className="row-end">
          <span className="muted small kbd-hint">Ctrl+Enter runs</span>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" busy={start.isPending} onClick={run} disabled={triggers.length === 0}>
            Run workflow
          </Button>
        </div>
      }
    >
      <div className="stack">
        {triggers.length === 0 && <p className="alert alert-info">This workflow has no manual trigger: add one to run it by hand.</p>}
        {triggers.length > 1 && (
          <SelectField label="Trigger" value={trigger} onChange={(e) => setTrigger(e.target.value)}>
            {triggers.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name || t.id}
              </option>
            ))}
          </SelectField>
        )}
        <TextAreaField
          label="Input (JSON)"
          className="input mono"
          rows={8}
          value={text}
          error={parseError}
          hint={required.length ? `Required fields: ${required.join(", ")}.` : "Available to every node as {{ trigger }}."}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run();
          }}
        />
        <ErrorMessage error={start.error} title="The run was not started" />
      </div>
    </Dialog>
  );
}
