import { Icon } from "@/components";
import { CATEGORY_LABELS, CATEGORY_ORDER, type NodeType } from "../types";

export const DRAG_TYPE = "application/x-trellis-node";

/** Node types by category: drag one onto the canvas, or press it (Enter/Space) to add it next to the others. */
export function Palette({ types, onAdd, disabled }: { types: NodeType[]; onAdd: (type: string) => void; disabled?: boolean }) {
  const groups = CATEGORY_ORDER.map((category) => ({ category, items: types.filter((t) => t.category === category) }))
    .concat([{ category: "other", items: types.filter((t) => !CATEGORY_ORDER.includes(t.category)) }])
    .filter((group) => group.items.length > 0);
  return (
    <nav className="palette" aria-label="Node palette">
      {groups.map((group) => (
        <div key={group.category} className="palette-group">
          <h3 className="palette-title">{CATEGORY_LABELS[group.category] ?? "Other"}</h3>
          {group.items.map((type) => (
            <button
              key={type.type}
              type="button"
              className={`palette-item flow-cat-${type.category}`}
              draggable={!disabled}
              disabled={disabled}
              title={type.description}
              aria-label={`Add ${type.type.replace(/_/g, " ")} node`}
              onDragStart={(event) => {
                event.dataTransfer.setData(DRAG_TYPE, type.type);
                event.dataTransfer.effectAllowed = "move";
              }}
              onClick={() => onAdd(type.type)}
            >
              <span className="flow-node-icon" aria-hidden="true">
                <Icon name={type.type} size={14} />
              </span>
              <span className="palette-name">{type.type.replace(/_/g, " ")}</span>
            </button>
          ))}
        </div>
      ))}
    </nav>
  );
}
