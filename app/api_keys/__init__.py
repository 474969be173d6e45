"""API keys that third-party apps use to act for a lifter, within the scopes granted."""
