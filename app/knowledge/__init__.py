"""What every knowledge-base domain shares: sources, the content revision, conditional GETs."""
