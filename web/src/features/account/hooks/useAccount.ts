import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import * as account from "../api/account";

export const accountKeys = {
  me: ["auth", "me"] as const,
  sessions: ["auth", "sessions"] as const,
  tokens: ["auth", "tokens"] as const,
};

export const useMe = () => useQuery({ queryKey: accountKeys.me, queryFn: account.getMe });
export const useSessions = () => useQuery({ queryKey: accountKeys.sessions, queryFn: account.listSessions });
export const useTokens = () => useQuery({ queryKey: accountKeys.tokens, queryFn: account.listTokens });

export function useUpdateMe() {
  const client = useQueryClient();
  return useMutation({ mutationFn: account.updateMe, onSuccess: (user) => client.setQueryData(accountKeys.me, user) });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({ mutationFn: account.createToken, onSuccess: () => client.invalidateQueries({ queryKey: accountKeys.tokens }) });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({ mutationFn: account.revokeToken, onSuccess: () => client.invalidateQueries({ queryKey: accountKeys.tokens }) });
}
