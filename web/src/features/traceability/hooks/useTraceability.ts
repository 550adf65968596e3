import { useQuery } from "@tanstack/react-query";
import { projectScope } from "@/lib/queryKeys";
import { getMatrix } from "../api/traceability";

export const useTraceability = (projectId: string) => useQuery({ queryKey: [...projectScope(projectId), "traceability"], queryFn: () => getMatrix(projectId) });
