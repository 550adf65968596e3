export { RequirementsPage } from "./components/RequirementsPage";
