"""The bulk catalog snapshot: the whole public knowledge base in one streamed answer."""
