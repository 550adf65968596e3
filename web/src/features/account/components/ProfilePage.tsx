import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { Badge, Button, Card, ErrorMessage, PageHeader, QueryState, TextField, useToast } from "@/components";
import { clearSession } from "@/lib/session";
import { formatDateTime, formatRelative } from "@/lib/format";
import { logoutEverywhere } from "../api/account";
import { useMe, useSessions, useUpdateMe } from "../hooks/useAccount";
import type { User } from "../types";

function ProfileForm({ user }: { user: User }) {
  const [fullName, setFullName] = useState(user.full_name ?? "");
  const [password, setPassword] = useState("");
  const update = useUpdateMe();
  const toast = useToast();
  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate(
      { full_name: fullName.trim() || null, ...(password ? { password } : {}) },
      {
        onSuccess: () => {
          setPassword("");
          toast("Profile saved");
        },
      },
    );
  }
  return (
    <form className="stack" onSubmit={submit}>
      <TextField label="Email" value={user.email} readOnly disabled />
      <TextField label="Full name" value={fullName} onChange={(e) => setFullName(e.target.value)} autoComplete="name" />
      <TextField label="New password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" hint="Leave empty to keep your password." />
      <ErrorMessage error={update.error} />
      <div>
        <Button type="submit" variant="primary" busy={update.isPending}>
          Save profile
        </Button>
      </div>
    </form>
  );
}

export function ProfilePage() {
  const me = useMe();
  const sessions = useSessions();
  const navigate = useNavigate();
  const [ending, setEnding] = useState(false);
  const [endError, setEndError] = useState<unknown>(null);

  async function endAll() {
    setEnding(true);
    setEndError(null);
    try {
      await logoutEverywhere();
      clearSession("signed-out");
      void navigate("/sign-in", { replace: true });
    } catch (error) {
      setEndError(error);
    } finally {
      setEnding(false);
    }
  }

  return (
    <>
      <PageHeader title="Your account" description="Profile, password and the places you are signed in." />
      <div className="grid-2">
        <Card title="Profile">
          <QueryState query={me}>{(user) => <ProfileForm user={user} />}</QueryState>
        </Card>
        <Card
          title="Sessions"
          subtitle="Every browser or device signed in to your account."
          actions={
            <Button variant="danger" size="sm" busy={ending} onClick={() => void endAll()}>
              Sign out everywhere
            </Button>
          }
        >
          <ErrorMessage error={endError} />
          <QueryState query={sessions}>
            {(items) => (
              <ul className="list">
                {items.map((session) => (
                  <li key={session.id} className="list-row">
                    <div>
                      <div className="list-title">
                        {session.user_agent ? session.user_agent.slice(0, 60) : "Unknown client"} {session.current && <Badge tone="success">This browser</Badge>}
                      </div>
                      <div className="muted small">
                        {session.method} · {session.ip_address ?? "unknown IP"} · signed in {formatDateTime(session.created_at)} · active {formatRelative(session.last_activity_at)}
                      </div>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </QueryState>
        </Card>
      </div>
    </>
  );
}
