import { Link, Outlet, useParams } from "react-router-dom";
import { ErrorMessage, Loading, PageHeader, TabNav, type TabLink } from "@/components";
import { useProject } from "../hooks/useProjects";
import { StatusBadge } from "./StatusBadge";

/** The project's header and tabs; the app passes the tabs so later features add theirs in one place. */
export function ProjectLayout({ tabs }: { tabs: (projectId: string) => TabLink[] }) {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  if (project.isPending) return <Loading label="Loading project…" />;
  if (project.isError) return <ErrorMessage error={project.error} onRetry={() => void project.refetch()} />;
  return (
    <>
      <PageHeader
        eyebrow={<Link to="/projects">Projects</Link>}
        title={
          <span className="title-with-badge">
            {project.data.name} <StatusBadge status={project.data.status} />
          </span>
        }
        description={project.data.description ?? undefined}
      />
      <TabNav label="Project sections" tabs={tabs(projectId)} />
      <Outlet />
    </>
  );
}
