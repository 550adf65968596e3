import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { Badge, Button, Card, Dialog, ErrorMessage, QueryState, TextField, useToast, type Tone } from "@/components";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useConnectRepository, useDisconnectRepository, useProjectRepositories, useRepositoryStatus, useSyncRepository } from "../hooks/useRepositories";
import { BUSY_STATES, CLONE_LABELS, type Repository } from "../types";

function formatSize(mb: number | null | undefined): string {
  if (mb === null || mb === undefined) return "—";
  return mb < 0.1 ? "< 0.1 MB" : `${mb.toFixed(1)} MB`;
}

const TONES: Record<string, Tone> = { PENDING: "info", CLONING: "info", COMPLETED: "success", FAILED: "danger", CLEANING: "warning", CLEANED: "neutral" };

export function CloneBadge({ status }: { status: string }) {
  return (
    <Badge tone={TONES[status] ?? "neutral"}>
      {BUSY_STATES.has(status) && <span className="pulse-dot" aria-hidden="true" />}
      {CLONE_LABELS[status] ?? status}
    </Badge>
  );
}

function ConnectForm({ projectId }: { projectId: string }) {
  const [gitUrl, setGitUrl] = useState("");
  const [branch, setBranch] = useState("");
  const [token, setToken] = useState("");
  const [username, setUsername] = useState("");
  const connect = useConnectRepository(projectId);
  const toast = useToast();
  function submit(event: FormEvent) {
    event.preventDefault();
    connect.mutate(
      {
        project_id: projectId,
        git_url: gitUrl.trim(),
        branch: branch.trim() || null,
        access_token: token.trim() || null,
        username: username.trim() || null,
        request_id: crypto.randomUUID(),
      },
      {
        onSuccess: (repo) => {
          // The token leaves the page as soon as the server has it: only its masked hint is ever shown again.
          setToken("");
          setGitUrl("");
          setBranch("");
          setUsername("");
          toast(`Connected ${repo.git_url}: ${CLONE_LABELS[repo.clone_status] ?? repo.clone_status}`);
        },
        onError: () => setToken(""),
      },
    );
  }
  return (
    <form className="form-grid" onSubmit={submit} autoComplete="off" aria-label="Connect a repository">
      <div className="form-grid-full" style={{ alignItems: "stretch" }}>
        <TextField
          label="Git URL"
          value={gitUrl}
          onChange={(e) => setGitUrl(e.target.value)}
          required
          placeholder="https://github.com/acme/checkout.git"
          hint="HTTPS URL of a GitHub, GitLab, Bitbucket or any Git server; a local path works when the server allows its folder."
        />
      </div>
      <TextField label="Branch" value={branch} onChange={(e) => setBranch(e.target.value)} placeholder="default branch" />
      <TextField label="User name" value={username} onChange={(e) => setUsername(e.target.value)} placeholder="git" hint="Only for generic HTTPS hosts." />
      <div className="form-grid-full" style={{ alignItems: "stretch" }}>
        <TextField
          label="Access token"
          type="password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoComplete="new-password"
          spellCheck={false}
          placeholder="Optional for public and local repositories"
          hint="Stored encrypted and never shown again: only a masked hint (ghp_…cdef) stays visible."
        />
      </div>
      <div className="form-grid-full">
        <ErrorMessage error={connect.error} title="The repository was not connected" />
        <Button type="submit" variant="primary" busy={connect.isPending} disabled={!gitUrl.trim()}>
          Connect repository
        </Button>
      </div>
    </form>
  );
}

function RepositoryCard({ projectId, repo }: { projectId: string; repo: Repository }) {
  const busy = BUSY_STATES.has(repo.clone_status);
  const status = useRepositoryStatus(repo.id, busy);
  const sync = useSyncRepository(projectId);
  const disconnect = useDisconnectRepository(projectId);
  const [confirming, setConfirming] = useState(false);
  const toast = useToast();
  const live = status.data;
  const cloneStatus = live?.clone_status ?? repo.clone_status;
  const gone = cloneStatus === "CLEANED" || cloneStatus === "CLEANING";
  return (
    <article className="repo-card" aria-label={`Repository ${repo.git_url}`}>
      <div className="repo-head">
        <div className="repo-title">
          <span className="repo-provider">{repo.provider}</span>
          <code className="repo-url">{repo.git_url}</code>
        </div>
        <CloneBadge status={cloneStatus} />
      </div>
      {BUSY_STATES.has(cloneStatus) && (
        <div className="progress-indeterminate" role="progressbar" aria-label="Clone progress">
          <span />
        </div>
      )}
      {live?.progress_message && BUSY_STATES.has(cloneStatus) && <p className="muted small">{live.progress_message}</p>}
      {cloneStatus === "FAILED" && (live?.error_message || live?.error_code) && (
        <div className="alert alert-error" role="alert">
          <div className="alert-body">
            <strong className="alert-title">The clone failed</strong>
            <p className="alert-message">{live.error_message ?? live.error_code}</p>
          </div>
        </div>
      )}
      <dl className="facts">
        <div>
          <dt>Branch</dt>
          <dd>{repo.branch ?? "default"}</dd>
        </div>
        <div>
          <dt>Commit</dt>
          <dd>{(live?.commit_sha ?? repo.commit_sha)?.slice(0, 10) ?? "—"}</dd>
        </div>
        <div>
          <dt>Files</dt>
          <dd>{live?.file_count ?? repo.file_count ?? "—"}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{formatSize(live?.repository_size_mb ?? repo.repository_size_mb ?? repo.estimated_size_mb)}</dd>
        </div>
        <div>
          <dt>Token</dt>
          <dd>{repo.token_hint ? <code aria-label="masked token">{repo.token_hint}</code> : "none"}</dd>
        </div>
        <div>
          <dt>Last synced</dt>
          <dd title={formatDateTime(repo.last_synced_at)}>{formatRelative(repo.last_synced_at)}</dd>
        </div>
      </dl>
      <ErrorMessage error={sync.error ?? disconnect.error} />
      {!gone && (
        <div className="row gap-sm">
          <Button
            size="sm"
            busy={sync.isPending}
            disabled={busy}
            onClick={() => sync.mutate(repo.id, { onSuccess: () => toast("Sync started: new commits are being fetched.", "info") })}
          >
            {cloneStatus === "FAILED" ? "Clone again" : "Sync"}
          </Button>
          <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>
            Disconnect
          </Button>
          {cloneStatus === "COMPLETED" && (
            <Link className="btn btn-primary btn-sm repo-next" to={`/projects/${projectId}/validation`}>
              Validate the code →
            </Link>
          )}
        </div>
      )}
      {confirming && (
        <Dialog
          title="Disconnect this repository?"
          onClose={() => setConfirming(false)}
          footer={
            <div className="row-end">
              <Button onClick={() => setConfirming(false)}>Keep it</Button>
              <Button
                variant="danger"
                busy={disconnect.isPending}
                onClick={() => disconnect.mutate(repo.id, { onSuccess: () => setConfirming(false) })}
              >
                Disconnect
              </Button>
            </div>
          }
        >
          <p>
            The stored token is deleted at once and the local copy of <code>{repo.git_url}</code> is removed. Validation results already
            stored stay readable.
          </p>
          <ErrorMessage error={disconnect.error} />
        </Dialog>
      )}
    </article>
  );
}

export function RepositoriesPage() {
  const { projectId = "" } = useParams();
  const repos = useProjectRepositories(projectId);
  return (
    <div className="stack-lg">
      <QueryState query={repos} loadingLabel="Loading repositories…">
        {(items) => {
          const active = items.filter((repo) => repo.clone_status !== "CLEANED");
          const old = items.filter((repo) => repo.clone_status === "CLEANED");
          return (
            <>
              {active.length === 0 ? (
                <Card title="Connect a repository" subtitle="Trellis clones it read-only into a sandbox and checks the code against the requirements.">
                  <ConnectForm projectId={projectId} />
                </Card>
              ) : (
                <Card title="Repository" subtitle="The code this project's requirements are validated against.">
                  <div className="stack">
                    {active.map((repo) => (
                      <RepositoryCard key={repo.id} projectId={projectId} repo={repo} />
                    ))}
                  </div>
                </Card>
              )}
              {old.length > 0 && (
                <Card title="Disconnected" subtitle="Repositories this project used before.">
                  <ul className="list">
                    {old.map((repo) => (
                      <li key={repo.id} className="list-row">
                        <code>{repo.git_url}</code>
                        <span className="muted small">connected {formatDateTime(repo.created_at)}</span>
                      </li>
                    ))}
                  </ul>
                </Card>
              )}
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
