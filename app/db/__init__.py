"""Database plumbing: metadata conventions, the async engine, sessions and the embedded server."""
