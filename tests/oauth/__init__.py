"""The OAuth 2.1 authorization server, registered apps and grants."""
