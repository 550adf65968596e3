import { EmptyState } from "@/components";
import { formatDateTime, humanize } from "@/lib/format";
import { STATE_LABELS, type AuditRecord } from "../types";

function summary(metadata: Record<string, unknown>): string | null {
  const parts = Object.entries(metadata)
    .filter(([, value]) => value !== null && value !== undefined && typeof value !== "object")
    .slice(0, 4)
    .map(([key, value]) => `${humanize(key)}: ${String(value)}`);
  return parts.length ? parts.join(" · ") : null;
}

export function AuditTimeline({ records }: { records: AuditRecord[] }) {
  if (records.length === 0) return <EmptyState title="No history yet" />;
  return (
    <ol className="timeline">
      {records.map((record) => {
        const transition = record.from_state !== record.to_state && record.to_state;
        const detail = summary(record.metadata);
        return (
          <li key={record.id} className={`timeline-item${transition ? " timeline-transition" : ""}`}>
            <div className="timeline-dot" aria-hidden="true" />
            <div className="timeline-content">
              <div className="timeline-title">
                <code>{record.action}</code>
                {transition && (
                  <span className="timeline-states">
                    {STATE_LABELS[record.from_state ?? ""] ?? record.from_state ?? "—"} → {STATE_LABELS[record.to_state ?? ""] ?? record.to_state}
                  </span>
                )}
              </div>
              {detail && <div className="muted small">{detail}</div>}
              <div className="muted small">
                {formatDateTime(record.created_at)}
                {record.correlation_id && <> · correlation <span className="mono">{record.correlation_id.slice(0, 12)}</span></>}
              </div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
