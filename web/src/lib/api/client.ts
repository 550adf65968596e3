/**
 * The typed API client. Paths, bodies and responses come from schema.d.ts, which
 * scripts/gen-api.sh generates from the server's OpenAPI schema.
 *
 * Every request carries the access token; a 401 triggers one refresh (shared by all requests
 * in flight, since each refresh token works once) and a retry. When the refresh fails the
 * session is cleared with reason "expired" and the app sends the user to sign in, then back.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { ApiError, networkError, toApiError } from "./errors";
import { clearSession, getSession, saveSession, type TokenBody } from "../session";

const REFRESH_PATH = "/api/v1/auth/refresh";
const NO_REFRESH = ["/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/verify-otp", REFRESH_PATH];

let refreshing: Promise<boolean> | null = null;

async function refreshSession(): Promise<boolean> {
  const session = getSession();
  if (!session) return false;
  const response = await globalThis.fetch(REFRESH_PATH, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: session.refreshToken }),
  });
  if (!response.ok) {
    // Another tab may have rotated the token meanwhile: only give up if it is still ours.
    if (getSession()?.refreshToken === session.refreshToken) clearSession("expired");
    return getSession() !== null;
  }
  saveSession((await response.json()) as TokenBody, "refreshed");
  return true;
}

/** Refresh once for everyone waiting on a 401. */
export function refreshOnce(): Promise<boolean> {
  refreshing ??= refreshSession().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function withToken(request: Request): Request {
  const session = getSession();
  if (!session || request.headers.has("Authorization")) return request;
  const headers = new Headers(request.headers);
  headers.set("Authorization", `Bearer ${session.accessToken}`);
  return new Request(request, { headers });
}

export async function authFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  let response: Response;
  try {
    response = await globalThis.fetch(withToken(request));
  } catch (cause) {
    throw networkError(cause);
  }
  const path = new URL(request.url).pathname;
  if (response.status !== 401 || !getSession() || NO_REFRESH.includes(path)) return response;
  if (!(await refreshOnce())) return response;
  try {
    return await globalThis.fetch(withToken(retry));
  } catch (cause) {
    throw networkError(cause);
  }
}

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  fetch: authFetch,
});

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call, or the API's error thrown as an ApiError. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw toApiError(response.status, error);
  return data as T;
}

export { ApiError };
