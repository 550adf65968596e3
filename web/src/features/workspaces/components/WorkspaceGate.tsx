import type { ReactNode } from "react";
import { EmptyState, ErrorMessage, Loading } from "@/components";
import { useCurrentWorkspace } from "../hooks/useWorkspaces";
import type { Workspace } from "../types";

/** Renders its child with the current workspace once it is known. */
export function WithWorkspace({ children }: { children: (workspace: Workspace) => ReactNode }) {
  const { workspace, isPending, error } = useCurrentWorkspace();
  if (isPending) return <Loading />;
  if (error) return <ErrorMessage error={error} />;
  if (!workspace) return <EmptyState title="You are not in any workspace">Create one from the workspace menu.</EmptyState>;
  return <>{children(workspace)}</>;
}
