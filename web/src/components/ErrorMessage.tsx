import { ApiError, errorMessage } from "@/lib/api/errors";
import { humanize } from "@/lib/format";

/** Any error shown as the API's own message, with the details that help act on it. */
export function ErrorMessage({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const fields = api?.fieldErrors ?? [];
  const items = api?.itemErrors ?? [];
  const retryAfter = api?.code === "rate_limited" ? api.detail.retry_after : undefined;
  const correlation = api?.detail.correlation_id;
  return (
    <div className="alert alert-error" role="alert">
      <div className="alert-body">
        {title && <strong className="alert-title">{title}</strong>}
        <p className="alert-message">{errorMessage(error)}</p>
        {fields.length > 0 && (
          <ul className="alert-list">
            {fields.map((field, index) => (
              <li key={index}>
                <code>{field.loc.filter((part) => part !== "body").join(".") || "request"}</code>: {field.msg}
              </li>
            ))}
          </ul>
        )}
        {items.length > 0 && (
          <ul className="alert-list">
            {items.map((item) => (
              <li key={item.index}>
                Item {item.index + 1}
                {item.code ? <> (<code>{item.code}</code>)</> : null}: {item.errors.join("; ")}
              </li>
            ))}
          </ul>
        )}
        {typeof retryAfter === "number" && <p className="alert-meta">Try again in {retryAfter} seconds.</p>}
        {typeof correlation === "string" && (
          <p className="alert-meta">
            Reference <code>{correlation}</code>
          </p>
        )}
        {api && api.status > 0 && (
          <p className="alert-meta">
            {humanize(api.code)} · HTTP {api.status}
          </p>
        )}
      </div>
      {onRetry && (
        <button type="button" className="btn btn-secondary btn-sm" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
