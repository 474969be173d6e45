"""Lifters' training logs: their profile, and their sessions with the sets performed."""
