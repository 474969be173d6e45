"""Importers of third-party datasets into the knowledge base, kept apart from curated content."""
