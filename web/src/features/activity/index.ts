export { ActivityPage } from "./components/ActivityPage";
