export { WorkspaceSwitcher } from "./components/WorkspaceSwitcher";
export { MembersPage } from "./components/MembersPage";
export { InvitationsPage } from "./components/InvitationsPage";
export { MyInvitationsPage } from "./components/MyInvitationsPage";
export { WithWorkspace } from "./components/WorkspaceGate";
export { useCurrentWorkspace } from "./hooks/useWorkspaces";
export type { Workspace } from "./types";
