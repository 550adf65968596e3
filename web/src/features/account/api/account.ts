import { api, unwrap } from "@/lib/api/client";
import type { ApiTokenCreate } from "../types";

export const getMe = () => unwrap(api.GET("/api/v1/auth/me"));
export const updateMe = (changes: { full_name?: string | null; password?: string | null }) =>
  unwrap(api.PATCH("/api/v1/auth/me", { body: changes }));
export const listSessions = () => unwrap(api.GET("/api/v1/auth/sessions"));
export const logoutEverywhere = () => unwrap(api.POST("/api/v1/auth/logout-all"));
export const listTokens = () => unwrap(api.GET("/api/v1/auth/tokens"));
export const createToken = (body: ApiTokenCreate) => unwrap(api.POST("/api/v1/auth/tokens", { body }));
export const revokeToken = (tokenId: string) =>
  unwrap(api.DELETE("/api/v1/auth/tokens/{token_id}", { params: { path: { token_id: tokenId } } }));
