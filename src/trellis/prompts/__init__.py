"""Prompts (P7): per task and category, from versioned Jinja2 templates a workspace can override."""
