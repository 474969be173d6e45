"""What the protocol library works with: plain, immutable records read from the database.

Each implements the small interface Authlib asks of its models (``ClientMixin``,
``AuthorizationCodeMixin``, ``TokenMixin``), so the library's checks run on our data without
an ORM object in between.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import scope_to_list

from app.auth.scopes import APP_LEVEL_SCOPES, Scope
from app.oauth import credentials

TokenKind = Literal["access_token", "refresh_token"]
_LOOPBACK_NETLOC = re.compile(r"(?P<host>127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?")
PUBLIC = "public"
CONFIDENTIAL = "confidential"
# How each kind of client may prove itself at the token endpoint.
_AUTH_METHODS = {
    PUBLIC: frozenset({"none"}),
    CONFIDENTIAL: frozenset({"client_secret_basic", "client_secret_post"}),
}


def scope_string(scopes: tuple[str, ...] | list[str]) -> str:
    order = list(Scope)
    return " ".join(sorted(set(scopes), key=lambda s: order.index(Scope(s))))


def _without_loopback_port(uri: str) -> str | None:
    """``uri`` with its port removed when it is http on a loopback IP literal (never the name
    localhost, which may resolve elsewhere); None for any other URI."""
    parts = urlsplit(uri)
    found = _LOOPBACK_NETLOC.fullmatch(parts.netloc)
    if parts.scheme != "http" or found is None:
        return None
    return urlunsplit(parts._replace(netloc=found.group("host")))


@dataclass(frozen=True)
class Client(ClientMixin):  # type: ignore[misc]  # Authlib is untyped
    id: int
    client_id: str
    name: str
    description: str
    homepage_url: str | None
    logo_url: str | None
    redirect_uris: tuple[str, ...]
    client_type: str
    secret_hash: str | None
    allowed_scopes: tuple[str, ...]
    suspended: bool
    hash_secret: str

    @property
    def is_public(self) -> bool:
        return self.client_type == PUBLIC

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # Always required: with several registered URIs a default would be a guess.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes, all of which must be allowed; every allowed scope when none
        is asked for (the lifter still sees and can narrow them). None refuses the request."""
        requested = scope_to_list(scope) if scope else list(self.allowed_scopes)
        if not requested or not set(requested) <= set(self.allowed_scopes):
            return None
        return scope_string(requested)

    def app_level_scope(self, scope: str | None) -> str | None:
        """Scopes for the app's own token: only catalog and stateless-recommender scopes."""
        usable = {s for s in self.allowed_scopes if Scope(s) in APP_LEVEL_SCOPES}
        requested = set(scope_to_list(scope)) if scope else usable
        if not requested or not requested <= usable:
            return None
        return scope_string(sorted(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact, character-for-character: no prefix, path or query leeway (OAuth 2.1, 2.3.1),
        # except the port of a loopback IP literal, which a native app picks when it starts
        # listening (RFC 8252 section 7.3; OAuth 2.1 section 8.4.2).
        if redirect_uri in self.redirect_uris:
            return True
        asked = _without_loopback_port(redirect_uri)
        return asked is not None and any(
            _without_loopback_port(registered) == asked for registered in self.redirect_uris
        )

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret_hash is None or not credentials.is_well_formed(
            client_secret, credentials.CLIENT_SECRET_PREFIX
        ):
            return False
        return hmac.compare_digest(
            credentials.digest(client_secret, self.hash_secret), self.secret_hash
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:  # noqa: ARG002 - the same rule at every endpoint
        return method in _AUTH_METHODS[self.client_type]

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials":
            return not self.is_public
        return grant_type in {"authorization_code", "refresh_token"}


@dataclass(frozen=True)
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code_hash: str
    app_id: int
    user_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str
    code_challenge_method: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return scope_string(self.scopes)


@dataclass(frozen=True)
class Token(TokenMixin):  # type: ignore[misc]
    """One issued token row, as found by its access or its refresh token (``kind``)."""

    id: int
    app_id: int
    client_id: str
    grant_id: int | None
    user_id: int | None
    family: str
    scopes: tuple[str, ...]
    kind: TokenKind
    issued_at: datetime
    expires_at: datetime | None
    expired: bool
    # Revoked itself, or through its grant or a suspended app; for a refresh token, spent.
    revoked: bool
    spent: bool

    def check_client(self, client: Client) -> bool:
        return self.app_id == client.id

    def get_scope(self) -> str:
        return scope_string(self.scopes)

    def get_expires_in(self) -> int:
        if self.expires_at is None:
            return 0
        return max(0, int((self.expires_at - self.issued_at).total_seconds()))

    def is_expired(self) -> bool:
        return self.expired

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass(frozen=True)
class Lifter:
    """The resource owner behind a code or a refresh token."""

    id: int
    is_admin: bool

    def get_user_id(self) -> int:
        return self.id
