import type { components } from "@/lib/api/schema";

export type Credential = components["schemas"]["CredentialRead"];
export type CredentialKind = components["schemas"]["CredentialKind"];

export const KINDS: { value: CredentialKind; label: string }[] = [
  { value: "git_token", label: "Git token" },
  { value: "llm_api_key", label: "LLM API key" },
  { value: "webhook_secret", label: "Webhook secret" },
  { value: "mcp_env", label: "MCP server environment" },
  { value: "generic", label: "Other secret" },
];
