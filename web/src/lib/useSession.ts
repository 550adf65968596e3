import { useSyncExternalStore } from "react";
import { getSession, onSessionChange, type Session } from "./session";

/** The current session, re-rendering when it changes (sign-in, refresh, sign-out, another tab). */
export function useSession(): Session | null {
  return useSyncExternalStore(
    (notify) => onSessionChange(() => notify()),
    getSession,
    getSession,
  );
}
