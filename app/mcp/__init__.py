"""The MCP server: the REST API's knowledge base, recommender and training log as MCP tools.

Served over streamable HTTP at ``/mcp`` (``app.mcp.endpoint``). Every tool is a call to the
REST API inside the same process with the caller's own credential (``app.mcp.forward``), so
a tool answers with exactly the JSON the REST operation answers, and the REST layer alone
decides scopes and quotas.
"""
