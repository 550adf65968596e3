import { useState } from "react";
import { Link } from "react-router-dom";
import { Button, Card, EmptyState, PageHeader, QueryState } from "@/components";
import { formatRelative } from "@/lib/format";
import { useCurrentWorkspaceId } from "@/lib/workspace";
import { useProjects } from "../hooks/useProjects";
import { CreateProjectDialog } from "./CreateProjectDialog";
import { StatusBadge } from "./StatusBadge";

export function ProjectsListPage() {
  const workspaceId = useCurrentWorkspaceId();
  const projects = useProjects(workspaceId);
  const [creating, setCreating] = useState(false);
  const newButton = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      New project
    </Button>
  );
  return (
    <>
      <PageHeader title="Projects" description="Each project takes requirements through refinement, validation, planning and execution." actions={newButton} />
      <Card>
        <QueryState query={projects} loadingLabel="Loading projects…">
          {(data) =>
            data.items.length === 0 ? (
              <EmptyState title="No projects yet" action={newButton}>
                Create a project, import your requirements and Trellis points out what is ambiguous, untestable or missing.
              </EmptyState>
            ) : (
              <div className="table-wrap">
                <table className="table table-hover">
                  <thead>
                    <tr>
                      <th>Project</th>
                      <th>State</th>
                      <th>Updated</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((project) => (
                      <tr key={project.id}>
                        <td>
                          <Link className="row-link" to={`/projects/${project.id}`}>
                            {project.name}
                          </Link>
                          {project.description && <div className="muted small clamp-1">{project.description}</div>}
                        </td>
                        <td>
                          <StatusBadge status={project.status} />
                        </td>
                        <td className="nowrap">{formatRelative(project.updated_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryState>
      </Card>
      {creating && <CreateProjectDialog workspaceId={workspaceId} onClose={() => setCreating(false)} />}
    </>
  );
}
