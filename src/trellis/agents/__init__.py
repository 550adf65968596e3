"""Agents (W2): workspace-scoped LLM agent configurations and their test runs."""
