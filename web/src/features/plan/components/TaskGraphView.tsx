import { useEffect, useMemo, useState } from "react";
import { Background, Controls, Handle, Position, ReactFlow, ReactFlowProvider, type Edge, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { Badge } from "@/components";
import { useMeasuredNodes } from "@/components/flow";
import { STATUS_LABELS, STATUS_TONE, type Task } from "../types";
import { hours, toTaskGraph, type TaskNode } from "./taskGraph";

function TaskNodeView({ data }: NodeProps<TaskNode>) {
  const { task, critical } = data;
  return (
    <div className={`task-node${critical ? " task-node-critical" : ""}`} data-task-id={task.id}>
      <Handle type="target" position={Position.Left} className="flow-handle" />
      <div className="task-node-head">
        <span className="mono">{task.id}</span>
        <Badge tone={STATUS_TONE[task.status]}>{STATUS_LABELS[task.status] ?? task.status}</Badge>
      </div>
      <div className="task-node-title">{task.title}</div>
      <div className="task-node-meta">
        {task.category} · {hours(task.estimate.p50_hours)}
        {critical && <span className="task-critical-label"> · critical</span>}
      </div>
      <Handle type="source" position={Position.Right} className="flow-handle" />
    </div>
  );
}

const nodeTypes = { task: TaskNodeView };

/** Tasks left to right by dependency depth; the critical path drawn in red. Click a task for its detail. */
export function TaskGraphView({ tasks, criticalPath, onOpen }: { tasks: Task[]; criticalPath: string[]; onOpen: (taskId: string) => void }) {
  // Laid out on estimated card heights first, then again on the measured ones (they do not change afterwards).
  const [heights, setHeights] = useState<ReadonlyMap<string, number>>(new Map());
  const graph = useMemo(() => toTaskGraph(tasks, criticalPath, heights), [tasks, criticalPath, heights]);
  const flow = useMeasuredNodes(graph.nodes);
  useEffect(() => {
    const measured = new Map([...flow.sizes].flatMap(([id, size]) => (size.height ? [[id, size.height] as const] : [])));
    const changed = measured.size !== heights.size || [...measured].some(([id, height]) => heights.get(id) !== height);
    if (changed && measured.size === tasks.length) setHeights(measured);
  }, [flow.sizes, heights, tasks.length]);
  return (
    <div className="task-graph" aria-label="Dependency graph">
      <ReactFlowProvider>
        <ReactFlow<TaskNode, Edge>
          nodes={flow.nodes}
          onNodesChange={flow.onNodesChange}
          edges={graph.edges}
          nodeTypes={nodeTypes}
          nodesConnectable={false}
          nodesDraggable={false}
          onNodeClick={(_, node) => onOpen(node.id)}
          fitView
          fitViewOptions={{ maxZoom: 1, padding: 0.15 }}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={20} size={1} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </ReactFlowProvider>
      <div className="task-graph-legend small muted">
        <span className="legend-critical" /> critical path ({criticalPath.length} tasks): any delay on it delays the whole plan
      </div>
    </div>
  );
}
