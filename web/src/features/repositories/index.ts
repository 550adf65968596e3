export { RepositoriesPage } from "./components/RepositoriesPage";
