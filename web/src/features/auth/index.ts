export { SignInPage } from "./components/SignInPage";
export { RegisterPage } from "./components/RegisterPage";
export { RequireAuth } from "./components/RequireAuth";
export { signOut } from "./api/auth";
