"""LLM providers: one interface (trellis.llm.types), adapters per wire format, the agent loop."""
