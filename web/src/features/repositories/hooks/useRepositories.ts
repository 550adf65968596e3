import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { projectScope } from "@/lib/queryKeys";
import * as repos from "../api/repositories";
import { BUSY_STATES, type RepositoryConnect } from "../types";

export const repositoriesKey = (projectId: string) => [...projectScope(projectId), "repositories"] as const;

/** The project's repositories, polled every 1.5 s while a clone, sync or cleanup is in flight. */
export function useProjectRepositories(projectId: string) {
  return useQuery({
    queryKey: repositoriesKey(projectId),
    queryFn: () => repos.listProjectRepositories(projectId),
    refetchInterval: (query) => (query.state.data?.some((repo) => BUSY_STATES.has(repo.clone_status)) ? 1500 : false),
  });
}

/** Live status of one repository (progress and error messages), polled while it is busy. */
export function useRepositoryStatus(repoId: string, busy: boolean) {
  return useQuery({
    queryKey: ["repositories", repoId, "status"],
    queryFn: () => repos.repositoryStatus(repoId),
    // Poll while either the list or the last status says the server is working: the list can see the clone
    // finish before this query does, and this query must still catch up to it.
    refetchInterval: (query) => (busy || BUSY_STATES.has(query.state.data?.clone_status ?? "") ? 1500 : false),
  });
}

export function useConnectRepository(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: RepositoryConnect) => repos.connectRepository(body),
    // The project's guards and status depend on the repository: refresh everything about it.
    onSuccess: () => client.invalidateQueries({ queryKey: projectScope(projectId) }),
  });
}

export function useSyncRepository(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (repoId: string) => repos.syncRepository(repoId),
    onSuccess: (_data, repoId) => {
      void client.invalidateQueries({ queryKey: projectScope(projectId) });
      void client.invalidateQueries({ queryKey: ["repositories", repoId] });
    },
  });
}

export function useDisconnectRepository(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (repoId: string) => repos.disconnectRepository(repoId),
    onSuccess: (_data, repoId) => {
      void client.invalidateQueries({ queryKey: projectScope(projectId) });
      void client.invalidateQueries({ queryKey: ["repositories", repoId] });
    },
  });
}
