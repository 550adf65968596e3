import { useState } from "react";
import { Badge, Dialog, EmptyState, QueryState } from "@/components";
import { formatDateTime, humanize } from "@/lib/format";
import { useVersions } from "../hooks/useRequirements";
import type { Version } from "../types";
import { ListDiff, UnifiedDiff, WordDiff } from "./DiffView";

function field<T>(version: Version | undefined, name: string, fallback: T): T {
  return (version?.data?.[name] as T | undefined) ?? fallback;
}

function VersionDetail({ version, previous }: { version: Version; previous: Version | undefined }) {
  const before = field(previous, "text", "");
  const after = field(version, "text", "");
  return (
    <div className="stack">
      <div className="row gap-sm">
        <Badge tone="accent">v{version.version}</Badge>
        <Badge>{humanize(version.source)}</Badge>
        <span className="muted small">{formatDateTime(version.created_at)}</span>
      </div>
      {previous ? (
        <>
          <h3 className="section-title">Changes from v{previous.version}</h3>
          <WordDiff before={before} after={after} />
          <ListDiff before={field(previous, "acceptance_criteria", [] as string[])} after={field(version, "acceptance_criteria", [] as string[])} />
          <details>
            <summary>Unified diff</summary>
            <UnifiedDiff lines={version.diff} />
          </details>
        </>
      ) : (
        <>
          <h3 className="section-title">First version</h3>
          <p>{after}</p>
        </>
      )}
    </div>
  );
}

export function HistoryDialog({ projectId, code, onClose }: { projectId: string; code: string; onClose: () => void }) {
  const versions = useVersions(projectId, code);
  const [selected, setSelected] = useState<number | null>(null);
  return (
    <Dialog title={`History of ${code}`} onClose={onClose} wide>
      <QueryState query={versions}>
        {(items) => {
          if (items.length === 0) return <EmptyState title="No versions" />;
          const newestFirst = [...items].sort((a, b) => b.version - a.version);
          const current = newestFirst.find((v) => v.version === selected) ?? newestFirst[0]!;
          const previous = items.find((v) => v.version === current.version - 1);
          return (
            <div className="history">
              <ol className="history-list" aria-label="Versions">
                {newestFirst.map((version) => (
                  <li key={version.version}>
                    <button type="button" className={`history-item${version.version === current.version ? " history-active" : ""}`} onClick={() => setSelected(version.version)} aria-pressed={version.version === current.version}>
                      <strong>v{version.version}</strong>
                      <span className="muted small">{humanize(version.source)}</span>
                      <span className="muted small">{formatDateTime(version.created_at)}</span>
                    </button>
                  </li>
                ))}
              </ol>
              <VersionDetail version={current} previous={previous} />
            </div>
          );
        }}
      </QueryState>
    </Dialog>
  );
}
