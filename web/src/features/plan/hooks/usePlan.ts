import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { projectScope } from "@/lib/queryKeys";
import * as plan from "../api/plan";
import type { TaskList, TaskStatus } from "../types";

export const planKeys = {
  plan: (projectId: string) => [...projectScope(projectId), "plan"] as const,
  tasks: (projectId: string) => [...projectScope(projectId), "plan", "tasks"] as const,
  task: (projectId: string, taskId: string) => [...projectScope(projectId), "plan", "tasks", taskId] as const,
  prompts: (projectId: string, taskId?: string) => [...projectScope(projectId), "plan", "prompts", taskId ?? "all"] as const,
};

export const usePlan = (projectId: string) => useQuery({ queryKey: planKeys.plan(projectId), queryFn: () => plan.getPlan(projectId) });
export const useTasks = (projectId: string, enabled: boolean) => useQuery({ queryKey: planKeys.tasks(projectId), queryFn: () => plan.listTasks(projectId), enabled });
export const useTask = (projectId: string, taskId: string) => useQuery({ queryKey: planKeys.task(projectId, taskId), queryFn: () => plan.getTask(projectId, taskId) });
export const usePrompts = (projectId: string, taskId: string | undefined, enabled = true) =>
  useQuery({ queryKey: planKeys.prompts(projectId, taskId), queryFn: () => plan.listPrompts(projectId, taskId), enabled, retry: false });

export function useCreatePlan(projectId: string) {
  const client = useQueryClient();
  return useMutation({ mutationFn: () => plan.createPlan(projectId), onSuccess: () => client.invalidateQueries({ queryKey: projectScope(projectId) }) });
}

export function useGeneratePrompts(projectId: string) {
  const client = useQueryClient();
  return useMutation({ mutationFn: () => plan.generatePrompts(projectId), onSuccess: () => client.invalidateQueries({ queryKey: projectScope(projectId) }) });
}

/**
 * Move a task: the board changes at once (optimistic) and goes back if the server refuses. `done` goes
 * through the done report, which re-validates the code and may land the task in review instead.
 */
export function useMoveTask(projectId: string) {
  const client = useQueryClient();
  const key = planKeys.tasks(projectId);
  return useMutation({
    mutationFn: async ({ taskId, status, note }: { taskId: string; status: TaskStatus; note?: string | null }) =>
      status === "done" ? { done: await plan.reportDone(projectId, taskId, note ?? null) } : { task: await plan.setTaskStatus(projectId, taskId, status, note ?? null) },
    onMutate: async ({ taskId, status }) => {
      await client.cancelQueries({ queryKey: key });
      const previous = client.getQueryData<TaskList>(key);
      if (previous) client.setQueryData<TaskList>(key, { ...previous, items: previous.items.map((t) => (t.id === taskId ? { ...t, status } : t)) });
      return { previous };
    },
    onError: (_error, _vars, context) => {
      if (context?.previous) client.setQueryData(key, context.previous);
    },
    onSettled: () => client.invalidateQueries({ queryKey: projectScope(projectId) }),
  });
}
