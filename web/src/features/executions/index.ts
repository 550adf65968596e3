export { ExecutionsListPage } from "./components/ExecutionsListPage";
export { ExecutionPage } from "./components/ExecutionPage";
