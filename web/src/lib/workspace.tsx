/**
 * Which workspace the user is working in. The switcher (features/workspaces) sets it; every
 * feature reads it through useCurrentWorkspaceId() without importing the workspaces feature.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

const KEY = "trellis.workspace";

interface WorkspaceContextValue {
  workspaceId: string | null;
  setWorkspaceId: (id: string | null) => void;
}

const WorkspaceContext = createContext<WorkspaceContextValue | null>(null);

export function WorkspaceProvider({ children }: { children: ReactNode }) {
  const [workspaceId, setState] = useState<string | null>(() => {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null;
    }
  });
  const setWorkspaceId = useCallback((id: string | null) => {
    setState(id);
    try {
      if (id) localStorage.setItem(KEY, id);
      else localStorage.removeItem(KEY);
    } catch {
      // No storage: the choice lasts for this tab.
    }
  }, []);
  const value = useMemo(() => ({ workspaceId, setWorkspaceId }), [workspaceId, setWorkspaceId]);
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function useWorkspaceContext(): WorkspaceContextValue {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error("useWorkspaceContext needs a <WorkspaceProvider>");
  return value;
}

export function useCurrentWorkspaceId(): string | null {
  return useWorkspaceContext().workspaceId;
}
