import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  addEdge,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Connection as FlowConnection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { Badge, Button, ErrorMessage, Loading, useToast } from "@/components";
import { DEFAULT_HANDLE, fromCanvas, layout, newNodeId, nodeTypes, starterConfig, toCanvas, toEdge, type CanvasNode } from "@/components/flow";
import { useCurrentWorkspaceId } from "@/lib/workspace";
import { useNodeTypes, useSaveWorkflow, useWorkflow, useWorkflowStatus } from "../hooks/useWorkflows";
import { WORKFLOW_STATUSES, type NodeType, type Workflow, type WorkflowNode, type WorkflowStatus } from "../types";
import { NodePanel } from "./NodePanel";
import { DRAG_TYPE, Palette } from "./Palette";
import { mapProblems, NO_PROBLEMS, problemsOf, type ProblemMap } from "./problems";
import { RunDialog } from "./RunDialog";
import { VersionsDialog } from "./VersionsDialog";

const ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
const STARTER: WorkflowNode[] = [{ id: "start", type: "manual", name: "Start", position: { x: 60, y: 140 } }];

export function WorkflowBuilderPage() {
  const { workflowId } = useParams();
  const types = useNodeTypes();
  const workflow = useWorkflow(workflowId);
  if (types.isPending || (workflowId && workflow.isPending)) return <Loading label="Loading the workflow…" />;
  if (types.isError) return <ErrorMessage error={types.error} onRetry={() => void types.refetch()} />;
  if (workflowId && workflow.isError) return <ErrorMessage error={workflow.error} onRetry={() => void workflow.refetch()} />;
  return (
    <ReactFlowProvider>
      <Builder key={workflowId ?? "new"} workflow={workflowId ? (workflow.data ?? null) : null} types={types.data} />
    </ReactFlowProvider>
  );
}

function Builder({ workflow, types }: { workflow: Workflow | null; types: NodeType[] }) {
  const initial = useMemo(
    () => toCanvas(workflow ? (workflow.nodes as unknown as WorkflowNode[]) : STARTER, workflow ? (workflow.connections as never) : [], types),
    // The canvas is initialised once per workflow; later saves keep the user's canvas as it is.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );
  const [nodes, setNodes, onNodesChangeBase] = useNodesState<CanvasNode>(initial.nodes);
  const [edges, setEdges, onEdgesChangeBase] = useEdgesState<Edge>(initial.edges);
  const [name, setName] = useState(workflow?.name ?? "Untitled workflow");
  const [description, setDescription] = useState(workflow?.description ?? "");
  const [tags, setTags] = useState((workflow?.tags ?? []).join(", "));
  const [changeNote, setChangeNote] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [problems, setProblems] = useState<ProblemMap>(NO_PROBLEMS);
  const [dirty, setDirty] = useState(!workflow);
  const [dialog, setDialog] = useState<"versions" | "run" | null>(null);
  const workspaceId = useCurrentWorkspaceId();
  const save = useSaveWorkflow(workflow?.workspace_id ?? workspaceId);
  const status = useWorkflowStatus(workflow?.id ?? "");
  const toast = useToast();
  const navigate = useNavigate();
  const flow = useReactFlow();
  const byType = useMemo(() => new Map(types.map((t) => [t.type, t])), [types]);
  const canvasRef = useRef<HTMLDivElement>(null);

  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      if (changes.some((c) => c.type !== "select" && c.type !== "dimensions")) setDirty(true);
      onNodesChangeBase(changes);
    },
    [onNodesChangeBase],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      if (changes.some((c) => c.type !== "select")) setDirty(true);
      onEdgesChangeBase(changes);
    },
    [onEdgesChangeBase],
  );
  const connect = useCallback(
    (connection: FlowConnection) => {
      const handle = connection.sourceHandle && connection.sourceHandle !== DEFAULT_HANDLE ? connection.sourceHandle : null;
      setEdges((current) => addEdge(toEdge({ source: connection.source, target: connection.target, source_handle: handle }), current));
      setDirty(true);
    },
    [setEdges],
  );

  function addNode(type: string, position?: { x: number; y: number }) {
    const id = newNodeId(type, nodes.map((n) => n.id));
    const rightmost = nodes.reduce((max, n) => (n.position.x > max.x ? n.position : max), { x: -220, y: 140 });
    const node: WorkflowNode = { id, type, config: starterConfig(type) };
    setNodes((current) => [
      ...current.map((n) => ({ ...n, selected: false })),
      { id, type: "workflow", position: position ?? { x: rightmost.x + 280, y: rightmost.y }, selected: true, data: { node, nodeType: byType.get(type), problems: [] } },
    ]);
    setSelected(id);
    setDirty(true);
    // Added from the keyboard: bring it into view (a drop already lands where the pointer is).
    if (!position) window.setTimeout(() => void flow.fitView({ padding: 0.3, maxZoom: 1, duration: 200 }), 50);
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    const type = event.dataTransfer.getData(DRAG_TYPE);
    if (!type) return;
    addNode(type, flow.screenToFlowPosition({ x: event.clientX - 90, y: event.clientY - 30 }));
  }

  function updateNode(node: WorkflowNode) {
    setNodes((current) => current.map((n) => (n.id === node.id ? { ...n, data: { ...n.data, node } } : n)));
    setDirty(true);
  }

  function renameNode(oldId: string, newId: string): string | null {
    if (!ID_PATTERN.test(newId)) return "Use letters, digits, _ and - only.";
    if (nodes.some((n) => n.id === newId)) return `Another node is called ${newId}.`;
    setNodes((current) => current.map((n) => (n.id === oldId ? { ...n, id: newId, data: { ...n.data, node: { ...n.data.node, id: newId } } } : n)));
    setEdges((current) =>
      current.map((e) => {
        const source = e.source === oldId ? newId : e.source;
        const target = e.target === oldId ? newId : e.target;
        return toEdge({ source, target, source_handle: e.sourceHandle && e.sourceHandle !== DEFAULT_HANDLE ? e.sourceHandle : null });
      }),
    );
    setSelected(newId);
    setDirty(true);
    return null;
  }

  function deleteNode(id: string) {
    setNodes((current) => current.filter((n) => n.id !== id));
    setEdges((current) => current.filter((e) => e.source !== id && e.target !== id));
    setSelected(null);
    setDirty(true);
  }

  /** Lay every node out again, left to right in the order the connections run, with their measured sizes. */
  function tidyUp() {
    const sizes = Object.fromEntries(nodes.flatMap((n) => (n.measured?.width && n.measured.height ? [[n.id, { width: n.measured.width, height: n.measured.height }]] : [])));
    const positions = layout(nodes, fromCanvas(nodes, edges).connections, sizes);
    setNodes((current) => current.map((n) => ({ ...n, position: positions[n.id] ?? n.position })));
    setDirty(true);
    window.setTimeout(() => void flow.fitView({ padding: 0.2, maxZoom: 1, duration: 200 }), 50);
  }

  function doSave() {
    const content = {
      name: name.trim() || "Untitled workflow",
      description: description.trim() || null,
      tags: tags.split(",").map((t) => t.trim()).filter(Boolean),
      settings: workflow?.settings ?? {},
      ...fromCanvas(nodes, edges),
    };
    save.mutate(
      { id: workflow?.id ?? null, content, changeNote: changeNote.trim() || null },
      {
        onSuccess: (saved) => {
          setProblems(NO_PROBLEMS);
          setDirty(false);
          setChangeNote("");
          toast(`Saved: version ${saved.version}`);
          if (!workflow) void navigate(`/workflows/${saved.id}`, { replace: true });
        },
        onError: (error) => {
          const map = mapProblems(problemsOf(error), nodes.map((n) => n.id));
          setProblems(map);
          const first = Object.keys(map.byNode)[0];
          if (first) setSelected(first);
        },
      },
    );
  }

  function restore(restored: Workflow) {
    const canvas = toCanvas(restored.nodes as unknown as WorkflowNode[], restored.connections as never, types);
    setNodes(canvas.nodes);
    setEdges(canvas.edges);
    setName(restored.name);
    setDescription(restored.description ?? "");
    setTags(restored.tags.join(", "));
    setProblems(NO_PROBLEMS);
    setDirty(false);
    setDialog(null);
    toast(`Restored as version ${restored.version}`);
  }

  // Closing the tab with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [dirty]);

  // Ctrl/Cmd+S saves.
  const saveRef = useRef(doSave);
  saveRef.current = doSave;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        saveRef.current();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const shown = useMemo(() => nodes.map((n) => ({ ...n, data: { ...n.data, problems: problems.byNode[n.id] ?? [] } })), [nodes, problems]);
  const selectedNode = nodes.find((n) => n.id === selected);
  const nodeProblemCount = Object.values(problems.byNode).reduce((sum, list) => sum + list.length, 0);
  // The cached workflow: saves, restores and status changes all write it, so version and status stay current.
  const current = workflow;

  return (
    <div className="builder-page">
      <header className="builder-header">
        <div className="builder-title">
          <Link to="/workflows" className="page-eyebrow">
            Workflows
          </Link>
          <div className="row gap-sm">
            <input className="title-input" aria-label="Workflow name" value={name} onChange={(e) => { setName(e.target.value); setDirty(true); }} />
            {current && <span className="muted small">version {current.version}</span>}
            {dirty && <Badge tone="warning">unsaved changes</Badge>}
          </div>
        </div>
        <div className="builder-actions">
          {current && (
            <select
              className={`input input-sm status-select status-${current.status}`}
              aria-label="Workflow status"
              value={current.status}
              disabled={status.isPending}
              onChange={(e) => status.mutate(e.target.value as WorkflowStatus, { onSuccess: (w) => toast(`Workflow ${w.status}`) })}
            >
              {WORKFLOW_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
          <Button onClick={tidyUp} disabled={nodes.length < 2} title="Arrange the nodes left to right along their connections">
            Tidy up
          </Button>
          <Button onClick={() => setDialog("versions")} disabled={!current}>
            Versions
          </Button>
          <Button onClick={() => setDialog("run")} disabled={!current || dirty} title={dirty ? "Save first: runs use the saved version" : undefined}>
            Run
          </Button>
          <Button variant="primary" busy={save.isPending} onClick={doSave}>
            Save
          </Button>
        </div>
      </header>
      <details className="builder-details">
        <summary>Description, tags and change note</summary>
        <div className="form-row">
          <label className="field">
            <span>Description</span>
            <input className="input" value={description} onChange={(e) => { setDescription(e.target.value); setDirty(true); }} />
          </label>
          <label className="field">
            <span>Tags (comma-separated)</span>
            <input className="input" value={tags} onChange={(e) => { setTags(e.target.value); setDirty(true); }} />
          </label>
          <label className="field">
            <span>Change note for the next save</span>
            <input className="input" value={changeNote} onChange={(e) => setChangeNote(e.target.value)} />
          </label>
        </div>
      </details>
      {save.isError && (
        <div className="builder-errors">
          <ErrorMessage error={save.error} title={nodeProblemCount ? `${nodeProblemCount} problem(s) are marked on the nodes` : "The workflow was not saved"} />
          {problems.general.length > 0 && (
            <ul className="alert-list" aria-label="Workflow problems">
              {problems.general.map((p, i) => (
                <li key={i}>{p.node_id ? `${p.node_id}: ${p.message}` : p.message}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="builder">
        <Palette types={types} onAdd={(type) => addNode(type)} />
        <div className="builder-canvas" ref={canvasRef} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }} onDrop={onDrop} aria-label="Workflow canvas">
          <ReactFlow<CanvasNode, Edge>
            nodes={shown}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={connect}
            onSelectionChange={({ nodes: picked }) => setSelected(picked[0]?.id ?? null)}
            deleteKeyCode={["Delete", "Backspace"]}
            fitView
            fitViewOptions={{ maxZoom: 1, padding: 0.3 }}
            defaultEdgeOptions={{ type: "smoothstep" }}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} size={1} />
            <Controls showInteractive={false} />
            <MiniMap pannable zoomable className="builder-minimap" style={{ width: 150, height: 100 }} />
          </ReactFlow>
        </div>
        <aside className="builder-panel" aria-label="Node settings">
          {selectedNode ? (
            <NodePanel
              key={selectedNode.id}
              node={selectedNode.data.node}
              nodeType={selectedNode.data.nodeType}
              problems={problems.byNode[selectedNode.id] ?? []}
              fieldErrors={problems.byField[selectedNode.id] ?? {}}
              otherNodes={nodes.map((n) => n.data.node)}
              onChange={updateNode}
              onRename={(newId) => renameNode(selectedNode.id, newId)}
              onConnect={(target, handle) => connect({ source: selectedNode.id, target, sourceHandle: handle, targetHandle: null })}
              onDelete={() => deleteNode(selectedNode.id)}
            />
          ) : (
            <div className="builder-hint">
              <h2>Build the flow</h2>
              <ol className="muted small">
                <li>Drag a node from the palette onto the canvas (or press it).</li>
                <li>Connect a node's right handle to the next node's left handle.</li>
                <li>Select a node to configure it; Delete removes the selection.</li>
                <li>Save (Ctrl+S): the server checks the whole graph and marks any problem on its node.</li>
              </ol>
            </div>
          )}
        </aside>
      </div>
      {dialog === "versions" && current && <VersionsDialog workflow={current} onClose={() => setDialog(null)} onRestored={restore} />}
      {dialog === "run" && current && <RunDialog workflow={current} onClose={() => setDialog(null)} />}
    </div>
  );
}
