"""Trellis as an MCP server for coding agents: `trellis mcp` (stdio) and `/mcp` (streamable HTTP).

Not to be confused with trellis.mcp, the MCP *client* workflows use to call other servers.
"""
