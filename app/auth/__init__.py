"""Authentication: tokens, API keys, the request principal and its scopes."""
