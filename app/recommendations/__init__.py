"""The recommender over HTTP: validation, catalog facts from the knowledge base, the engine."""
