import { useState, type FormEvent } from "react";
import { Badge, Button, Card, CopyButton, EmptyState, ErrorMessage, QueryState, SelectField, TextField } from "@/components";
import { formatDateTime } from "@/lib/format";
import { useInvite, useRevokeInvitation, useWorkspaceInvitations } from "../hooks/useWorkspaces";
import { canManageMembers, ROLES, type InvitationCreated, type Role, type Workspace } from "../types";

export function InvitationsPage({ workspace }: { workspace: Workspace }) {
  const manage = canManageMembers(workspace.role);
  const invitations = useWorkspaceInvitations(workspace.id, manage);
  const invite = useInvite(workspace.id);
  const revoke = useRevokeInvitation(workspace.id);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const [created, setCreated] = useState<InvitationCreated | null>(null);

  if (!manage) {
    return (
      <Card title="Invitations">
        <EmptyState title="Only owners and admins invite people">Ask an owner or admin of {workspace.name} to invite someone.</EmptyState>
      </Card>
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate(
      { email: email.trim(), role },
      {
        onSuccess: (invitation) => {
          setCreated(invitation);
          setEmail("");
        },
      },
    );
  }

  return (
    <>
      <Card title="Invite someone" subtitle="The invitation is mailed and valid for 7 days; only that address can accept it.">
        <form className="form-row" onSubmit={submit}>
          <TextField label="Email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.filter((r) => workspace.role === "owner" || r !== "owner").map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </SelectField>
          <div className="form-row-action">
            <Button type="submit" variant="primary" busy={invite.isPending} disabled={!email.trim()}>
              Send invitation
            </Button>
          </div>
          <div className="form-row-full">
            <ErrorMessage error={invite.error} />
          </div>
        </form>
        {created && (
          <div className="alert alert-success" role="status">
            <div className="alert-body">
              <strong className="alert-title">Invited {created.email} as {created.role}.</strong>
              <p className="alert-message">If mail is not configured, share this invitation token; they accept it under Invitations after signing in.</p>
              <div className="secret-row">
                <code className="secret">{created.token}</code>
                <CopyButton value={created.token} />
              </div>
            </div>
          </div>
        )}
      </Card>
      <Card title="Pending invitations">
        <ErrorMessage error={revoke.error} />
        <QueryState query={invitations}>
          {(data) =>
            data.items.length === 0 ? (
              <EmptyState title="No pending invitations" />
            ) : (
              <ul className="list">
                {data.items.map((invitation) => (
                  <li key={invitation.id} className="list-row">
                    <div>
                      <div className="list-title">
                        {invitation.email} <Badge>{invitation.role}</Badge>
                      </div>
                      <div className="muted small">expires {formatDateTime(invitation.expires_at)}</div>
                    </div>
                    <Button size="sm" variant="danger" busy={revoke.isPending && revoke.variables === invitation.id} onClick={() => revoke.mutate(invitation.id)}>
                      Revoke
                    </Button>
                  </li>
                ))}
              </ul>
            )
          }
        </QueryState>
      </Card>
    </>
  );
}
