export type SignInMethod = "password" | "code";
