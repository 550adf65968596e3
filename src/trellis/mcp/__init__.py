"""MCP (Model Context Protocol) servers a workspace registers, and the client runtime that calls their tools."""
