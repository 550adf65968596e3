import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { listActivity } from "../api/activity";

export const useActivity = (workspaceId: string, offset: number) =>
  useQuery({
    queryKey: ["workspaces", workspaceId, "activity", offset],
    queryFn: () => listActivity(workspaceId, offset),
    placeholderData: keepPreviousData,
  });
