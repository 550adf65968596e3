import { Handle, Position, type NodeProps } from "@xyflow/react";
import { Icon } from "../Icon";
import { outputHandles, type CanvasNode } from "./graph";

const STATUS_LABEL: Record<string, string> = {
  pending: "Pending",
  running: "Running",
  retrying: "Retrying",
  waiting: "Waiting",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  skipped: "Skipped",
};

/** One node on a workflow canvas: its type, name, branches, problems (builder) or live status (execution view). */
export function FlowNode({ data, selected }: NodeProps<CanvasNode>) {
  const { node, nodeType, problems, status } = data;
  const handles = outputHandles(node, nodeType);
  const category = nodeType?.category ?? "unknown";
  const classes = ["flow-node", `flow-cat-${category}`, selected ? "flow-node-selected" : "", problems.length ? "flow-node-invalid" : "", status ? `flow-status-${status}` : ""];
  return (
    <div className={classes.filter(Boolean).join(" ")} data-node-id={node.id} data-status={status}>
      {!nodeType?.is_trigger && <Handle type="target" position={Position.Left} className="flow-handle" />}
      <div className="flow-node-head">
        <span className="flow-node-icon" aria-hidden="true">
          <Icon name={node.type} size={15} />
        </span>
        <span className="flow-node-type">{node.type.replace(/_/g, " ")}</span>
        {problems.length > 0 && (
          <span className="flow-node-problems" title={problems.map((p) => p.message).join("\n")}>
            {problems.length} problem{problems.length > 1 ? "s" : ""}
          </span>
        )}
      </div>
      <div className="flow-node-name">{node.name || node.id}</div>
      {node.name && <div className="flow-node-id">{node.id}</div>}
      {problems[0] && <div className="flow-node-problem">{problems[0].message}</div>}
      {status && (
        <div className="flow-node-foot">
          <span className={`flow-node-status flow-node-status-${status}`}>{STATUS_LABEL[status] ?? status}</span>
        </div>
      )}
      {handles.length > 1 ? (
        <div className="flow-node-branches">
          {handles.map((handle) => (
            <div key={handle} className="flow-branch">
              {handle}
              <Handle id={handle} type="source" position={Position.Right} className={`flow-handle flow-handle-${handle}`} />
            </div>
          ))}
        </div>
      ) : (
        <Handle id={handles[0]} type="source" position={Position.Right} className="flow-handle" />
      )}
    </div>
  );
}

export const nodeTypes = { workflow: FlowNode };
