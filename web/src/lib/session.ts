/**
 * The signed-in session: an access token (15 min) and a rotating refresh token (7 days).
 * Kept in localStorage so a reload keeps you signed in; the API takes bearer tokens only
 * (no cookies), so there is no CSRF surface. Every tab shares it through the storage event.
 */
export interface SessionUser {
  id: string;
  email: string;
  full_name: string | null;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
  user: SessionUser;
}

export interface TokenBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user: SessionUser;
}

const KEY = "trellis.session";
type Listener = (session: Session | null, reason: SessionChange) => void;
export type SessionChange = "signed-in" | "refreshed" | "signed-out" | "expired";

let current: Session | null = read();
let lastChange: SessionChange | null = null;
const listeners = new Set<Listener>();

function read(): Session | null {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function write(session: Session | null, reason: SessionChange): void {
  current = session;
  lastChange = reason;
  try {
    if (session) localStorage.setItem(KEY, JSON.stringify(session));
    else localStorage.removeItem(KEY);
  } catch {
    // Private browsing without storage: the session lives in memory for this tab.
  }
  listeners.forEach((listener) => listener(session, reason));
}

/** Why the session last changed: "expired" means the server refused the refresh token. */
export function getLastChange(): SessionChange | null {
  return lastChange;
}

export function getSession(): Session | null {
  return current;
}

export function sessionFromTokens(body: TokenBody, now = Date.now()): Session {
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: now + body.expires_in * 1000,
    user: body.user,
  };
}

export function saveSession(body: TokenBody, reason: SessionChange = "signed-in"): Session {
  const session = sessionFromTokens(body);
  write(session, reason);
  return session;
}

export function clearSession(reason: SessionChange = "signed-out"): void {
  write(null, reason);
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key === KEY) {
      const next = read();
      current = next;
      listeners.forEach((listener) => listener(next, next ? "refreshed" : "signed-out"));
    }
  });
}
