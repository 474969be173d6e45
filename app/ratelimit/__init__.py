"""Rate limiting shared by every worker process, kept in PostgreSQL."""
