"""The workflow engine: node types, templating, compilation to LangGraph, durable checkpoints."""
