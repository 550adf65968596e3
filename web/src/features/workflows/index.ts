export { WorkflowsListPage } from "./components/WorkflowsListPage";
export { WorkflowBuilderPage } from "./components/WorkflowBuilderPage";
