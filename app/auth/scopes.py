"""What a credential may do."""

from __future__ import annotations

from enum import StrEnum

from app.schema_docs import documented


class Scope(StrEnum):
    """A permission an access token or API key carries."""

    KB_READ = "kb:read"  # the public knowledge base, with a key's higher quota
    LOGS_READ = "logs:read"
    LOGS_WRITE = "logs:write"
    RECOMMENDATIONS_READ = "recommendations:read"
    KB_ADMIN = "kb:admin"


USER_SCOPES = frozenset(
    {Scope.KB_READ, Scope.LOGS_READ, Scope.LOGS_WRITE, Scope.RECOMMENDATIONS_READ}
)
ADMIN_SCOPES = USER_SCOPES | {Scope.KB_ADMIN}

SCOPE_DESCRIPTIONS = {
    Scope.KB_READ: "Read the knowledge base with the key's higher rate limit.",
    Scope.LOGS_READ: "Read the lifter's profile and training sessions.",
    Scope.LOGS_WRITE: "Create, change and delete the lifter's profile and sessions.",
    Scope.RECOMMENDATIONS_READ: "Get recommendations from the lifter's stored training.",
    Scope.KB_ADMIN: "Administer the knowledge base (administrators only).",
}
documented(**{scope.name: text for scope, text in SCOPE_DESCRIPTIONS.items()})(Scope)


def scopes_of(*, is_admin: bool) -> frozenset[Scope]:
    """Everything a user's own login may do."""
    return ADMIN_SCOPES if is_admin else USER_SCOPES


# What an app may ask a lifter for (administration is never delegated to an app), and what an
# app may hold on its own behalf, acting for no lifter (client credentials).
GRANTABLE_SCOPES = USER_SCOPES
APP_LEVEL_SCOPES = frozenset({Scope.KB_READ, Scope.RECOMMENDATIONS_READ})

# The consent page's wording: what approving each scope lets the app do, for the lifter.
CONSENT_WORDING = {
    Scope.KB_READ: "Read Spotter's exercise library, anatomy and training guidance for you.",
    Scope.LOGS_READ: "See your training profile and every session and set you have logged.",
    Scope.LOGS_WRITE: "Log new sessions for you, and change or delete your sessions and profile.",
    Scope.RECOMMENDATIONS_READ: "Work out your next session from your logged training.",
}


def ordered(scopes: frozenset[Scope] | set[Scope]) -> list[Scope]:
    """Scopes in their declaration order, so lists and token responses read the same way."""
    return [scope for scope in Scope if scope in scopes]
