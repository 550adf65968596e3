import { useState, type FormEvent } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { Badge, Button, Card, EmptyState, ErrorMessage, PageHeader, QueryState, TextField, useToast } from "@/components";
import { formatDateTime } from "@/lib/format";
import { useAcceptInvitation, useMyInvitations } from "../hooks/useWorkspaces";

/** Invitations addressed to me; accepting needs the token from the invitation mail. */
export function MyInvitationsPage() {
  const params = useParams();
  const [token, setToken] = useState(params.token ?? "");
  const invitations = useMyInvitations();
  const accept = useAcceptInvitation();
  const toast = useToast();
  const navigate = useNavigate();
  function submit(event: FormEvent) {
    event.preventDefault();
    accept.mutate(token.trim(), {
      onSuccess: (workspace) => {
        toast(`You joined ${workspace.name}`);
        void navigate("/projects");
      },
    });
  }
  return (
    <>
      <PageHeader title="Invitations" description="Join workspaces you have been invited to." />
      <Card title="Accept an invitation" subtitle="Paste the token from your invitation email.">
        <form className="form-row" onSubmit={submit}>
          <TextField label="Invitation token" value={token} onChange={(e) => setToken(e.target.value)} required autoComplete="off" />
          <div className="form-row-action">
            <Button type="submit" variant="primary" busy={accept.isPending} disabled={!token.trim()}>
              Accept
            </Button>
          </div>
          <div className="form-row-full">
            <ErrorMessage error={accept.error} />
          </div>
        </form>
      </Card>
      <Card title="Waiting for you">
        <QueryState query={invitations}>
          {(data) =>
            data.items.length === 0 ? (
              <EmptyState title="No invitations for your address" />
            ) : (
              <ul className="list">
                {data.items.map((invitation) => (
                  <li key={invitation.id} className="list-row">
                    <div>
                      <div className="list-title">
                        {invitation.workspace_name ?? "A workspace"} <Badge>{invitation.role}</Badge>
                      </div>
                      <div className="muted small">sent {formatDateTime(invitation.created_at)} · expires {formatDateTime(invitation.expires_at)}</div>
                    </div>
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
