"""Sources: the works the knowledge base credits and the recommender's reasons cite."""
