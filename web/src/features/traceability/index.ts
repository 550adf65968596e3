export { TraceabilityPage } from "./components/TraceabilityPage";
