import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { Button, Dialog, ErrorMessage, TextAreaField, TextField } from "@/components";
import { useCreateProject } from "../hooks/useProjects";

export function CreateProjectDialog({ workspaceId, onClose }: { workspaceId: string | null; onClose: () => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useCreateProject();
  const navigate = useNavigate();
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), description: description.trim() || null, workspace_id: workspaceId },
      { onSuccess: (project) => void navigate(`/projects/${project.id}/requirements`) },
    );
  }
  return (
    <Dialog title="New project" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} hint="Unique in the workspace; it cannot be changed later." />
        <TextAreaField label="Description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
        <ErrorMessage error={create.error} />
        <div className="row-end">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim()}>
            Create project
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
