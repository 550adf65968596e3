/**
 * Query-key conventions shared by features, so one feature can refresh another's data
 * without importing it: everything about a project lives under projectScope(id).
 */
export const projectScope = (projectId: string) => ["projects", projectId] as const;
export const requirementsKey = (projectId: string) => [...projectScope(projectId), "requirements"] as const;
export const refinementKey = (projectId: string) => [...projectScope(projectId), "refinement"] as const;
