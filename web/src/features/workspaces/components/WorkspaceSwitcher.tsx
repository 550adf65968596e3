import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Button, Dialog, ErrorMessage, TextAreaField, TextField } from "@/components";
import { useWorkspaceContext } from "@/lib/workspace";
import { useCreateWorkspace, useCurrentWorkspace, useWorkspaces } from "../hooks/useWorkspaces";

const NEW = "__new__";

function CreateWorkspaceDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useCreateWorkspace();
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name: name.trim(), description: description.trim() || null }, { onSuccess: onClose });
  }
  return (
    <Dialog title="New workspace" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} required />
        <TextAreaField label="Description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
        <ErrorMessage error={create.error} />
        <div className="row-end">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim()}>
            Create workspace
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** Pick the workspace everything else shows; switching clears cached data of the previous one. */
export function WorkspaceSwitcher() {
  const list = useWorkspaces();
  const { workspace } = useCurrentWorkspace();
  const { setWorkspaceId } = useWorkspaceContext();
  const client = useQueryClient();
  const [creating, setCreating] = useState(false);
  if (list.isError) return <p className="switcher-error">Workspaces unavailable</p>;
  return (
    <div className="switcher">
      <label htmlFor="workspace-switcher" className="switcher-label">
        Workspace
      </label>
      <select
        id="workspace-switcher"
        className="switcher-select"
        value={workspace?.id ?? ""}
        disabled={list.isPending}
        onChange={(event) => {
          if (event.target.value === NEW) {
            setCreating(true);
            return;
          }
          setWorkspaceId(event.target.value);
          void client.invalidateQueries({ queryKey: ["projects"] });
        }}
      >
        {list.isPending && <option value="">Loading…</option>}
        {list.data?.items.map((item) => (
          <option key={item.id} value={item.id}>
            {item.name} ({item.role})
          </option>
        ))}
        <option value={NEW}>+ New workspace…</option>
      </select>
      {creating && <CreateWorkspaceDialog onClose={() => setCreating(false)} />}
    </div>
  );
}
