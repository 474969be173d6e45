"""Idempotency-Key for POST creates: a retry replays the stored response instead of acting twice."""
