import { Route, Routes } from "react-router-dom";
import { PageHeader, TabNav } from "@/components";
import { ActivityPage } from "@/features/activity";
import { CredentialsPage } from "@/features/credentials";
import { InvitationsPage, MembersPage, WithWorkspace } from "@/features/workspaces";
import { NotFoundPage } from "./NotFoundPage";
import { workspaceTabs } from "./navigation";

/** Workspace settings compose several features; the app passes each the workspace it needs. */
export function WorkspaceSettings() {
  return (
    <WithWorkspace>
      {(workspace) => (
        <>
          <PageHeader title={workspace.name} eyebrow="Workspace" description={workspace.description ?? `You are ${workspace.role === "admin" ? "an" : "a"} ${workspace.role} here.`} />
          <TabNav label="Workspace sections" tabs={workspaceTabs} />
          <div className="stack-lg">
            <Routes>
              <Route path="members" element={<MembersPage workspace={workspace} />} />
              <Route path="invitations" element={<InvitationsPage workspace={workspace} />} />
              <Route path="credentials" element={<CredentialsPage workspaceId={workspace.id} canManage={workspace.role === "owner" || workspace.role === "admin"} />} />
              <Route path="activity" element={<ActivityPage workspaceId={workspace.id} />} />
              <Route path="*" element={<NotFoundPage />} />
            </Routes>
          </div>
        </>
      )}
    </WithWorkspace>
  );
}
