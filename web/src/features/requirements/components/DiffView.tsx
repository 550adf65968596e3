import { diffWords } from "@/lib/diff";

/** Word-level changes from `before` to `after`: removed words struck through, added words marked. */
export function WordDiff({ before, after }: { before: string; after: string }) {
  const parts = diffWords(before, after);
  return (
    <p className="word-diff">
      {parts.map((part, index) =>
        part.kind === "same" ? (
          <span key={index}>{part.text}</span>
        ) : part.kind === "added" ? (
          <ins key={index} className="diff-added">
            {part.text}
          </ins>
        ) : (
          <del key={index} className="diff-removed">
            {part.text}
          </del>
        ),
      )}
    </p>
  );
}

/** The server's unified diff (`diff` of a version), coloured line by line. */
export function UnifiedDiff({ lines }: { lines: string[] }) {
  if (lines.length === 0) return <p className="muted small">No text changes.</p>;
  return (
    <pre className="unified-diff" aria-label="Unified diff">
      {lines.map((line, index) => {
        const kind = line.startsWith("+++") || line.startsWith("---") ? "meta" : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
        return (
          <span key={index} className={`diff-line diff-${kind}`}>
            {line.replace(/\n$/, "")}
            {"\n"}
          </span>
        );
      })}
    </pre>
  );
}

/** Criteria added and removed between two versions. */
export function ListDiff({ before, after }: { before: string[]; after: string[] }) {
  const removed = before.filter((item) => !after.includes(item));
  const added = after.filter((item) => !before.includes(item));
  if (removed.length === 0 && added.length === 0) return null;
  return (
    <ul className="list-diff">
      {removed.map((item) => (
        <li key={`-${item}`} className="diff-removed-line">
          <span aria-hidden="true">−</span> <del>{item}</del>
        </li>
      ))}
      {added.map((item) => (
        <li key={`+${item}`} className="diff-added-line">
          <span aria-hidden="true">+</span> <ins>{item}</ins>
        </li>
      ))}
    </ul>
  );
}
