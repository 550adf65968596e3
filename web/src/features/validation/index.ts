export { ValidationPage } from "./components/ValidationPage";
