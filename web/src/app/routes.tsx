import { lazy, Suspense } from "react";
import { Navigate, Route, Routes } from "react-router-dom";
import { Loading } from "@/components";
import { ApiTokensPage, ProfilePage } from "@/features/account";
import { RegisterPage, RequireAuth, SignInPage } from "@/features/auth";
import { ProjectLayout, ProjectOverviewPage, ProjectsListPage } from "@/features/projects";
import { RefinementPage } from "@/features/refinement";
import { RepositoriesPage } from "@/features/repositories";
import { RequirementsPage } from "@/features/requirements";
import { TraceabilityPage } from "@/features/traceability";
import { ValidationPage } from "@/features/validation";

import { MyInvitationsPage } from "@/features/workspaces";
import { AppShell } from "./AppShell";
import { NotFoundPage } from "./NotFoundPage";
import { projectTabs } from "./navigation";
import { WorkspaceSettings } from "./WorkspaceSettings";

// The graph screens load @xyflow/react: they come in their own chunks, so sign-in and the project
// screens do not wait for the canvas code.
const WorkflowsListPage = lazy(() => import("@/features/workflows").then((m) => ({ default: m.WorkflowsListPage })));
const WorkflowBuilderPage = lazy(() => import("@/features/workflows").then((m) => ({ default: m.WorkflowBuilderPage })));
const ExecutionsListPage = lazy(() => import("@/features/executions").then((m) => ({ default: m.ExecutionsListPage })));
const ExecutionPage = lazy(() => import("@/features/executions").then((m) => ({ default: m.ExecutionPage })));
const PlanPage = lazy(() => import("@/features/plan").then((m) => ({ default: m.PlanPage })));

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading label="Loading…" />}>
      <Routes>
        <Route path="/sign-in" element={<SignInPage />} />
        <Route path="/register" element={<RegisterPage />} />
        <Route
          element={
            <RequireAuth>
              <AppShell />
            </RequireAuth>
          }
        >
          <Route index element={<Navigate to="/projects" replace />} />
          <Route path="projects" element={<ProjectsListPage />} />
          <Route path="projects/:projectId" element={<ProjectLayout tabs={projectTabs} />}>
            <Route index element={<ProjectOverviewPage />} />
            <Route path="requirements" element={<RequirementsPage />} />
            <Route path="refinement" element={<RefinementPage />} />
            <Route path="repository" element={<RepositoriesPage />} />
            <Route path="validation" element={<ValidationPage />} />
            <Route path="plan" element={<PlanPage />} />
            <Route path="traceability" element={<TraceabilityPage />} />
          </Route>
          <Route path="workflows" element={<WorkflowsListPage />} />
          <Route path="workflows/new" element={<WorkflowBuilderPage />} />
          <Route path="workflows/:workflowId" element={<WorkflowBuilderPage />} />
          <Route path="executions" element={<ExecutionsListPage />} />
          <Route path="executions/:executionId" element={<ExecutionPage />} />
          <Route path="settings" element={<Navigate to="/settings/members" replace />} />
          <Route path="settings/*" element={<WorkspaceSettings />} />
          <Route path="invitations" element={<MyInvitationsPage />} />
          <Route path="invitations/:token" element={<MyInvitationsPage />} />
          <Route path="account" element={<ProfilePage />} />
          <Route path="account/tokens" element={<ApiTokensPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
