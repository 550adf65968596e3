import { api, unwrap } from "@/lib/api/client";
import { clearSession, saveSession } from "@/lib/session";
import type { components } from "@/lib/api/schema";

export type TokenResponse = components["schemas"]["TokenResponse"];

export async function signInWithPassword(email: string, password: string) {
  const body = await unwrap(api.POST("/api/v1/auth/login", { body: { email, password } }));
  return saveSession(body);
}

export async function register(email: string, password: string, fullName: string) {
  const body = await unwrap(
    api.POST("/api/v1/auth/register", { body: { email, password, full_name: fullName.trim() || null } }),
  );
  return saveSession(body);
}

export function requestCode(email: string) {
  return unwrap(api.POST("/api/v1/auth/request-otp", { body: { email, purpose: "login" } }));
}

export async function verifyCode(email: string, code: string) {
  const body = await unwrap(api.POST("/api/v1/auth/verify-otp", { body: { email, code } }));
  return saveSession(body);
}

export async function signOut() {
  // Ending the server-side session matters more than the answer: clear locally whatever happens.
  try {
    await api.POST("/api/v1/auth/logout");
  } finally {
    clearSession("signed-out");
  }
}
