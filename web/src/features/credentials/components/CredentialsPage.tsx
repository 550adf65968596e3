import { useState, type FormEvent } from "react";
import { Badge, Button, Card, EmptyState, ErrorMessage, QueryState, SelectField, TextField, useToast } from "@/components";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useCreateCredential, useCredentials, useDeleteCredential } from "../hooks/useCredentials";
import { KINDS, type CredentialKind } from "../types";

function kindLabel(kind: CredentialKind): string {
  return KINDS.find((k) => k.value === kind)?.label ?? kind;
}

function CredentialForm({ workspaceId }: { workspaceId: string }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<CredentialKind>("git_token");
  const [provider, setProvider] = useState("");
  const [value, setValue] = useState("");
  const create = useCreateCredential(workspaceId);
  const toast = useToast();
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), kind, provider: provider.trim() || null, value },
      {
        onSuccess: (saved) => {
          // The value leaves the page as soon as it is stored: only the masked hint remains.
          setValue("");
          setName("");
          setProvider("");
          toast(`Saved ${saved.name} (${saved.masked_hint})`);
        },
      },
    );
  }
  return (
    <form className="form-grid" onSubmit={submit} autoComplete="off">
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} required placeholder="github-deploy" />
      <SelectField label="Kind" value={kind} onChange={(e) => setKind(e.target.value as CredentialKind)}>
        {KINDS.map((k) => (
          <option key={k.value} value={k.value}>
            {k.label}
          </option>
        ))}
      </SelectField>
      <TextField label="Provider" value={provider} onChange={(e) => setProvider(e.target.value)} placeholder="github, openai, …" />
      <TextField label="Secret value" type="password" value={value} onChange={(e) => setValue(e.target.value)} required autoComplete="new-password" hint="Encrypted at rest; never shown again after saving." />
      <div className="form-grid-full">
        <ErrorMessage error={create.error} />
        <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim() || !value}>
          Save credential
        </Button>
      </div>
    </form>
  );
}

export function CredentialsPage({ workspaceId, canManage }: { workspaceId: string; canManage: boolean }) {
  const credentials = useCredentials(workspaceId);
  const remove = useDeleteCredential(workspaceId);
  return (
    <>
      {canManage && (
        <Card title="Add a credential" subtitle="Git tokens, LLM API keys, webhook secrets. Stored with AES-256-GCM envelope encryption.">
          <CredentialForm workspaceId={workspaceId} />
        </Card>
      )}
      <Card title="Credentials">
        <ErrorMessage error={remove.error} />
        <QueryState query={credentials}>
          {(data) =>
            data.items.length === 0 ? (
              <EmptyState title="No credentials stored">{canManage ? "Add one above." : "Owners and admins can add credentials."}</EmptyState>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Kind</th>
                      <th>Value</th>
                      <th>Created</th>
                      <th>Last used</th>
                      {canManage && <th />}
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((credential) => (
                      <tr key={credential.id}>
                        <td>
                          <div className="list-title">{credential.name}</div>
                          {credential.provider && <div className="muted small">{credential.provider}</div>}
                        </td>
                        <td>
                          <Badge>{kindLabel(credential.kind)}</Badge>
                        </td>
                        <td>
                          <code aria-label="masked value">{credential.masked_hint}</code>
                        </td>
                        <td>{formatDateTime(credential.created_at)}</td>
                        <td>{formatRelative(credential.last_used_at)}</td>
                        {canManage && (
                          <td className="cell-actions">
                            <Button size="sm" variant="danger" busy={remove.isPending && remove.variables === credential.id} onClick={() => remove.mutate(credential.id)}>
                              Delete
                            </Button>
                          </td>
                        )}
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
