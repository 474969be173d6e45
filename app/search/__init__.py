"""Search across the knowledge base: full-text plus fuzzy names and aliases."""
