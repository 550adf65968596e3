import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";
import { getLastChange } from "@/lib/session";
import { useSession } from "@/lib/useSession";

/**
 * Signed-in routes. Without a session, go to sign-in with `next` = this page, so signing in
 * returns here; when the session ended because the refresh token was refused, say so.
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session) {
    const here = `${location.pathname}${location.search}${location.hash}`;
    const reason = getLastChange() === "expired" ? "reason=expired&" : "";
    return <Navigate to={`/sign-in?${reason}next=${encodeURIComponent(here)}`} replace />;
  }
  return <>{children}</>;
}
