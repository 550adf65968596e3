import { useState, type FormEvent } from "react";
import { Badge, Button, Card, CopyButton, EmptyState, ErrorMessage, PageHeader, QueryState, SelectField, TextField } from "@/components";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useCreateToken, useRevokeToken, useTokens } from "../hooks/useAccount";
import type { ApiTokenCreated } from "../types";

function CreateTokenForm({ onCreated }: { onCreated: (token: ApiTokenCreated) => void }) {
  const [name, setName] = useState("");
  const [scope, setScope] = useState<"read" | "read_write">("read_write");
  const [days, setDays] = useState("90");
  const create = useCreateToken();
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), scope, expires_in_days: days ? Number(days) : null },
      {
        onSuccess: (token) => {
          setName("");
          onCreated(token);
        },
      },
    );
  }
  return (
    <form className="form-row" onSubmit={submit}>
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} required placeholder="CI pipeline" />
      <SelectField label="Scope" value={scope} onChange={(e) => setScope(e.target.value as "read" | "read_write")}>
        <option value="read_write">Read and write</option>
        <option value="read">Read only</option>
      </SelectField>
      <SelectField label="Expires" value={days} onChange={(e) => setDays(e.target.value)}>
        <option value="30">in 30 days</option>
        <option value="90">in 90 days</option>
        <option value="365">in a year</option>
        <option value="">never</option>
      </SelectField>
      <div className="form-row-action">
        <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim()}>
          Create token
        </Button>
      </div>
      <div className="form-row-full">
        <ErrorMessage error={create.error} />
      </div>
    </form>
  );
}

export function ApiTokensPage() {
  const tokens = useTokens();
  const revoke = useRevokeToken();
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  return (
    <>
      <PageHeader title="API tokens" description="Personal tokens for the CLI, CI and MCP clients. They act as you, limited to their scope." />
      <Card title="New token">
        <CreateTokenForm onCreated={setCreated} />
        {created && (
          <div className="alert alert-success secret-once" role="status">
            <div className="alert-body">
              <strong className="alert-title">Copy “{created.name}” now: it will not be shown again.</strong>
              <div className="secret-row">
                <code className="secret">{created.token}</code>
                <CopyButton value={created.token} />
              </div>
            </div>
            <Button size="sm" variant="ghost" onClick={() => setCreated(null)}>
              Done
            </Button>
          </div>
        )}
      </Card>
      <Card title="Your tokens">
        <ErrorMessage error={revoke.error} />
        <QueryState query={tokens}>
          {(items) =>
            items.length === 0 ? (
              <EmptyState title="No API tokens yet">Create one above, then set TRELLIS_API_TOKEN for the trellis CLI, or send it as a Bearer token from CI.</EmptyState>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Token</th>
                      <th>Scope</th>
                      <th>Created</th>
                      <th>Last used</th>
                      <th>Expires</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((token) => (
                      <tr key={token.id}>
                        <td>{token.name}</td>
                        <td>
                          <code>{token.prefix}…</code>
                        </td>
                        <td>
                          <Badge tone={token.scope === "read" ? "info" : "accent"}>{token.scope === "read" ? "read" : "read & write"}</Badge>
                        </td>
                        <td>{formatDateTime(token.created_at)}</td>
                        <td>{formatRelative(token.last_used_at)}</td>
                        <td>{token.expires_at ? formatDateTime(token.expires_at) : "never"}</td>
                        <td className="cell-actions">
                          <Button size="sm" variant="danger" busy={revoke.isPending && revoke.variables === token.id} onClick={() => revoke.mutate(token.id)}>
                            Revoke
                          </Button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryState>
      </Card>
    </>
  );
}
