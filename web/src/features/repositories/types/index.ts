import type { components } from "@/lib/api/schema";

export type Repository = components["schemas"]["RepositoryRead"];
export type RepositoryStatus = components["schemas"]["RepositoryStatus"];
export type RepositoryConnect = components["schemas"]["RepositoryConnect"];

/** Clone states in which the server is still working: the UI keeps polling while any repository is in one. */
export const BUSY_STATES = new Set(["PENDING", "CLONING", "CLEANING"]);

export const CLONE_LABELS: Record<string, string> = {
  PENDING: "Queued",
  CLONING: "Cloning",
  COMPLETED: "Ready",
  FAILED: "Failed",
  CLEANING: "Disconnecting",
  CLEANED: "Disconnected",
};
