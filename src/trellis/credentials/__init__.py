"""Workspace credentials: Git tokens, LLM API keys, webhook secrets, MCP server env, sealed at rest (A4)."""
