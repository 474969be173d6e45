"""User accounts: registration, passwords, the administrator role."""
