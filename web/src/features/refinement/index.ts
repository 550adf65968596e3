export { RefinementPage } from "./components/RefinementPage";
