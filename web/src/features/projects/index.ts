export { ProjectsListPage } from "./components/ProjectsListPage";
export { ProjectLayout } from "./components/ProjectLayout";
export { ProjectOverviewPage } from "./components/ProjectOverviewPage";
