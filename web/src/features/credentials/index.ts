export { CredentialsPage } from "./components/CredentialsPage";
