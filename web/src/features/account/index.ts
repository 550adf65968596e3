export { ProfilePage } from "./components/ProfilePage";
export { ApiTokensPage } from "./components/ApiTokensPage";
