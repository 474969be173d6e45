"""Registered third-party apps: the OAuth clients lifters grant access to."""
