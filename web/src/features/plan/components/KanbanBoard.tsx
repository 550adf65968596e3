import { useState, type DragEvent } from "react";
import { Badge } from "@/components";
import { STATUS_LABELS, TASK_STATUSES, type Task, type TaskStatus } from "../types";
import { columns, hours } from "./taskGraph";

const DRAG = "application/x-trellis-task";

/** Columns by status: drag a card to another column (or use its "Move to" menu from the keyboard). */
export function KanbanBoard({ tasks, onMove, onOpen, busyTask }: { tasks: Task[]; onMove: (taskId: string, status: TaskStatus) => void; onOpen: (taskId: string) => void; busyTask?: string | null }) {
  const board = columns(tasks);
  const [over, setOver] = useState<string | null>(null);
  const drop = (status: TaskStatus) => (event: DragEvent) => {
    event.preventDefault();
    setOver(null);
    const taskId = event.dataTransfer.getData(DRAG);
    const task = tasks.find((t) => t.id === taskId);
    if (task && task.status !== status) onMove(taskId, status);
  };
  return (
    <div className="kanban" aria-label="Task board">
      {TASK_STATUSES.map((status) => (
        <section
          key={status}
          className={`kanban-column kanban-${status}${over === status ? " kanban-over" : ""}`}
          aria-label={STATUS_LABELS[status]}
          data-status={status}
          onDragOver={(event) => {
            event.preventDefault();
            setOver(status);
          }}
          onDragLeave={() => setOver((current) => (current === status ? null : current))}
          onDrop={drop(status)}
        >
          <header className="kanban-head">
            <h3>{STATUS_LABELS[status]}</h3>
            <span className="kanban-count">{board[status]?.length ?? 0}</span>
          </header>
          <ul className="kanban-list">
            {(board[status] ?? []).map((task) => (
              <li
                key={task.id}
                className={`kanban-card${task.on_critical_path ? " kanban-card-critical" : ""}${busyTask === task.id ? " kanban-card-busy" : ""}`}
                draggable
                data-task-id={task.id}
                onDragStart={(event) => {
                  event.dataTransfer.setData(DRAG, task.id);
                  event.dataTransfer.effectAllowed = "move";
                }}
              >
                <button type="button" className="kanban-card-open" onClick={() => onOpen(task.id)}>
                  <span className="kanban-card-id mono">{task.id}</span>
                  <span className="kanban-card-title">{task.title}</span>
                </button>
                <div className="kanban-card-meta">
                  <Badge>{task.category}</Badge>
                  <span className="muted small">{hours(task.estimate.p50_hours)}</span>
                  {task.on_critical_path && <Badge tone="danger">critical</Badge>}
                  {task.ready && status === "pending" && <Badge tone="success">ready</Badge>}
                </div>
                <select className="kanban-move input input-sm" aria-label={`Move ${task.id} to`} value={status} onChange={(e) => onMove(task.id, e.target.value as TaskStatus)}>
                  {TASK_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {STATUS_LABELS[s]}
                    </option>
                  ))}
                </select>
              </li>
            ))}
            {(board[status]?.length ?? 0) === 0 && <li className="kanban-empty">Drop tasks here</li>}
          </ul>
        </section>
      ))}
    </div>
  );
}
