import { useState } from "react";
import { Button, SelectField, TextField } from "@/components";
import { outputHandles, DEFAULT_HANDLE } from "@/components/flow";
import { useCurrentWorkspaceId } from "@/lib/workspace";
import { useIdChoices } from "../hooks/useWorkflows";
import type { NodeType, Problem, WorkflowNode } from "../types";
import { SchemaForm } from "./SchemaForm";

interface NodePanelProps {
  node: WorkflowNode;
  nodeType: NodeType | undefined;
  problems: Problem[];
  fieldErrors: Record<string, string[]>;
  otherNodes: WorkflowNode[];
  onChange: (node: WorkflowNode) => void;
  onRename: (newId: string) => string | null;
  onConnect: (target: string, handle: string) => void;
  onDelete: () => void;
  readOnly?: boolean;
}

/** The selected node: its name and id, a form generated from its type's config schema, its problems, and a keyboard way to connect it. */
export function NodePanel({ node, nodeType, problems, fieldErrors, otherNodes, onChange, onRename, onConnect, onDelete, readOnly }: NodePanelProps) {
  const [idDraft, setIdDraft] = useState(node.id);
  const [idError, setIdError] = useState<string | null>(null);
  const handles = outputHandles(node, nodeType);
  const targets = otherNodes.filter((n) => n.id !== node.id);
  const [target, setTarget] = useState("");
  const [handle, setHandle] = useState(handles[0] ?? DEFAULT_HANDLE);
  const choices = useIdChoices(node.type, useCurrentWorkspaceId());
  return (
    <div className="node-panel" aria-label={`Node ${node.id}`}>
      <div className="node-panel-head">
        <h2>{nodeType?.type.replace(/_/g, " ") ?? node.type}</h2>
        {nodeType && <p className="muted small">{nodeType.description}</p>}
      </div>
      {problems.length > 0 && (
        <div className="alert alert-error" role="alert">
          <div className="alert-body">
            <strong className="alert-title">The server refused this node</strong>
            <ul className="alert-list">
              {problems.map((problem, index) => (
                <li key={index}>{problem.message}</li>
              ))}
            </ul>
          </div>
        </div>
      )}
      <TextField label="Name" value={node.name ?? ""} disabled={readOnly} placeholder={node.id} onChange={(e) => onChange({ ...node, name: e.target.value || null })} />
      <TextField
        label="Node id"
        value={idDraft}
        disabled={readOnly}
        error={idError}
        hint="Used in templates: {{ nodes.<id> }}. Letters, digits, _ and -."
        onChange={(e) => setIdDraft(e.target.value)}
        onBlur={() => {
          if (idDraft === node.id) return;
          const error = onRename(idDraft);
          setIdError(error);
          if (error) setIdDraft(node.id);
        }}
      />
      <h3 className="section-title">Configuration</h3>
      {nodeType ? (
        <SchemaForm schema={nodeType.config_schema} value={node.config ?? {}} serverErrors={fieldErrors} choices={choices} disabled={readOnly} onChange={(config) => onChange({ ...node, config })} />
      ) : (
        <p className="muted">Unknown node type {node.type}.</p>
      )}
      {!readOnly && targets.length > 0 && (
        <>
          <h3 className="section-title">Connect</h3>
          <div className="connect-row">
            <SelectField label="To node" value={target} onChange={(e) => setTarget(e.target.value)}>
              <option value="">Choose…</option>
              {targets
                .filter((n) => n.type !== "manual" && n.type !== "webhook" && n.type !== "cron")
                .map((n) => (
                  <option key={n.id} value={n.id}>
                    {n.name || n.id}
                  </option>
                ))}
            </SelectField>
            {handles.length > 1 && (
              <SelectField label="Branch" value={handle} onChange={(e) => setHandle(e.target.value)}>
                {handles.map((h) => (
                  <option key={h} value={h}>
                    {h}
                  </option>
                ))}
              </SelectField>
            )}
            <Button
              disabled={!target}
              onClick={() => {
                onConnect(target, handles.length > 1 ? handle : DEFAULT_HANDLE);
                setTarget("");
              }}
            >
              Connect
            </Button>
          </div>
        </>
      )}
      {!readOnly && (
        <div className="node-panel-foot">
          <Button variant="danger" size="sm" onClick={onDelete}>
            Delete node
          </Button>
        </div>
      )}
    </div>
  );
}
