import { useState } from "react";
import { Badge, Button, Card, EmptyState, QueryState } from "@/components";
import { formatDateTime, humanize } from "@/lib/format";
import { PAGE_SIZE } from "../api/activity";
import { useActivity } from "../hooks/useActivity";

export function ActivityPage({ workspaceId }: { workspaceId: string }) {
  const [offset, setOffset] = useState(0);
  const activity = useActivity(workspaceId, offset);
  return (
    <Card title="Activity log" subtitle="Every change and security-relevant action in this workspace, newest first.">
      <QueryState query={activity}>
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState title="Nothing has happened here yet" />
          ) : (
            <>
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>Action</th>
                      <th>Resource</th>
                      <th>State</th>
                      <th>Request</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((record) => (
                      <tr key={record.id}>
                        <td className="nowrap">{formatDateTime(record.created_at)}</td>
                        <td>
                          <code>{record.action}</code>
                        </td>
                        <td>{record.resource_type ? `${humanize(record.resource_type)} ${record.resource_id?.slice(0, 8) ?? ""}` : "—"}</td>
                        <td>{record.from_state || record.to_state ? <Badge tone="info">{`${record.from_state ?? "∅"} → ${record.to_state ?? "∅"}`}</Badge> : "—"}</td>
                        <td className="muted small mono">{record.request_id?.slice(0, 12) ?? "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div className="pager">
                <span className="muted small">
                  {offset + 1}–{offset + data.items.length} of {data.total}
                </span>
                <Button size="sm" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
                  Newer
                </Button>
                <Button size="sm" disabled={offset + PAGE_SIZE >= data.total} onClick={() => setOffset(offset + PAGE_SIZE)}>
                  Older
                </Button>
              </div>
            </>
          )
        }
      </QueryState>
    </Card>
  );
}
