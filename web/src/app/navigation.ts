/**
 * The app's navigation, in one place: later features (repositories, validation, plan,
 * workflows, executions, agents) add their entries here and their routes in routes.tsx.
 */
import type { TabLink } from "@/components";

export interface NavItem {
  to: string;
  label: string;
  icon: string;
}

export const mainNav: NavItem[] = [
  { to: "/projects", label: "Projects", icon: "projects" },
  { to: "/workflows", label: "Workflows", icon: "workflows" },
  { to: "/executions", label: "Executions", icon: "executions" },
  { to: "/settings/members", label: "Workspace", icon: "workspace" },
  { to: "/invitations", label: "Invitations", icon: "invitations" },
];

export const accountNav: NavItem[] = [
  { to: "/account", label: "Account", icon: "account" },
  { to: "/account/tokens", label: "API tokens", icon: "tokens" },
];

export const projectTabs = (projectId: string): TabLink[] => [
  { to: `/projects/${projectId}`, label: "Overview", end: true },
  { to: `/projects/${projectId}/requirements`, label: "Requirements" },
  { to: `/projects/${projectId}/refinement`, label: "Refinement" },
  { to: `/projects/${projectId}/repository`, label: "Repository" },
  { to: `/projects/${projectId}/validation`, label: "Validation" },
  { to: `/projects/${projectId}/plan`, label: "Plan" },
  { to: `/projects/${projectId}/traceability`, label: "Traceability" },
];

export const workspaceTabs: TabLink[] = [
  { to: "/settings/members", label: "Members" },
  { to: "/settings/invitations", label: "Invitations" },
  { to: "/settings/credentials", label: "Credentials" },
  { to: "/settings/activity", label: "Activity" },
];
