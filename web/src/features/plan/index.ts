export { PlanPage } from "./components/PlanPage";
