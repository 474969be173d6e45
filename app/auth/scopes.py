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
