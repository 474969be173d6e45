"""Registered app request and response models."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.auth.scopes import GRANTABLE_SCOPES, Scope
from app.schema_docs import documented

MAX_REDIRECT_URIS = 10
LOOPBACK_HOSTS = frozenset({"localhost"})


@documented(
    PUBLIC="A phone, desktop or browser app that cannot keep a secret: it proves itself with "
    "PKCE alone and gets no client secret.",
    CONFIDENTIAL="A server-side app that keeps a client secret; the only kind that may use "
    "client credentials or introspect tokens.",
)
class ClientType(StrEnum):
    """Whether the app can keep a client secret."""

    PUBLIC = "public"
    CONFIDENTIAL = "confidential"


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _redirect_uri(value: str) -> str:
    """An absolute https URI, or http on a loopback address (apps on the lifter's own
    machine), with no fragment and no user info: the authorization server compares it
    character for character, so what is registered is exactly what is redirected to."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        msg = "is not a valid URI"
        raise ValueError(msg) from exc
    if parts.scheme not in {"https", "http"} or not host:
        msg = "must be an absolute https URI (or http on a loopback address)"
        raise ValueError(msg)
    if parts.scheme == "http" and not is_loopback(host):
        msg = "must use https unless it points at a loopback address (127.0.0.1, [::1], localhost)"
        raise ValueError(msg)
    if parts.fragment or "#" in value:
        msg = "must not contain a fragment"
        raise ValueError(msg)
    if parts.username is not None or parts.password is not None:
        msg = "must not contain user info"
        raise ValueError(msg)
    if any(c.isspace() or ord(c) < 0x21 for c in value):
        msg = "must not contain spaces or control characters"
        raise ValueError(msg)
    return value


def _web_url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        msg = "is not a valid URL"
        raise ValueError(msg) from exc
    if parts.scheme != "https" or not parts.hostname:
        msg = "must be an absolute https URL"
        raise ValueError(msg)
    return value


def _grantable(scopes: list[Scope]) -> list[Scope]:
    refused = [s.value for s in scopes if s not in GRANTABLE_SCOPES]
    if refused:
        msg = f"an app cannot be granted {', '.join(refused)}"
        raise ValueError(msg)
    return sorted(set(scopes), key=list(Scope).index)


def _distinct(uris: list[str]) -> list[str]:
    if len(set(uris)) != len(uris):
        msg = "lists a redirect URI twice"
        raise ValueError(msg)
    return uris


RedirectUri = Annotated[
    str,
    Field(min_length=1, max_length=2048, examples=["https://lifttracker.example/oauth/callback"]),
    AfterValidator(_redirect_uri),
]
WebUrl = Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(_web_url)]
RedirectUris = Annotated[
    list[RedirectUri],
    Field(min_length=1, max_length=MAX_REDIRECT_URIS),
    AfterValidator(_distinct),
]
AllowedScopes = Annotated[
    list[Scope], Field(min_length=1, max_length=len(Scope)), AfterValidator(_grantable)
]
AppName = Annotated[str, Field(min_length=1, max_length=100, examples=["Lift Tracker Pro"])]
AppDescription = Annotated[str, Field(max_length=1000)]
RateLimit = Annotated[int, Field(ge=1, le=1_000_000)]


class AppCreate(BaseModel):
    """A new app: who it is, where it may send lifters back to, and what it may ask for."""

    model_config = ConfigDict(extra="forbid")

    name: AppName = Field(description="Shown to lifters on the consent page.")
    description: AppDescription = Field(
        default="", description="What the app does, shown on the consent page."
    )
    homepage_url: WebUrl | None = Field(
        default=None,
        description="The app's website (https).",
        examples=["https://lifttracker.example"],
    )
    logo_url: WebUrl | None = Field(
        default=None,
        description="A square logo shown on the consent page (https).",
        examples=["https://lifttracker.example/logo.png"],
    )
    redirect_uris: RedirectUris = Field(
        description="Where lifters may be sent back with a code; matched exactly, character "
        "for character. https, or http on a loopback address for apps on the lifter's machine "
        "(on 127.0.0.1 and [::1] the app may ask with any port: RFC 8252)."
    )
    client_type: ClientType = Field(description="Whether the app can keep a client secret.")
    allowed_scopes: AllowedScopes = Field(
        description="The most the app may ask a lifter for. `kb:admin` is never grantable.",
        examples=[["logs:read", "recommendations:read"]],
    )
    rate_limit: RateLimit | None = Field(
        default=None,
        description="Requests a minute for the app's own tokens (client credentials); the "
        "service's default, which is also the most an app may set, when omitted.",
    )


class AppUpdate(BaseModel):
    """Changes to an app; fields left out stay as they are. The client type never changes."""

    model_config = ConfigDict(extra="forbid")

    name: AppName | None = Field(default=None, description="Shown on the consent page.")
    description: AppDescription | None = Field(default=None, description="What the app does.")
    homepage_url: WebUrl | None = Field(default=None, description="The app's website (https).")
    logo_url: WebUrl | None = Field(default=None, description="A square logo (https).")
    redirect_uris: RedirectUris | None = Field(
        default=None, description="Replaces the registered redirect URIs."
    )
    allowed_scopes: AllowedScopes | None = Field(
        default=None,
        description="Replaces the allowed scopes. Grants already given keep their scopes.",
    )
    rate_limit: RateLimit | None = Field(
        default=None, description="Requests a minute for the app's own tokens."
    )


class AppPublic(BaseModel):
    """A registered app as its owner (and administrators) see it; never its secret."""

    client_id: str = Field(
        description="The app's public identifier, sent as `client_id`.",
        examples=["spa_4fQm9ZkP0aX7cV2bN8rT1yU6wE4sD5A0b1C2"],
    )
    name: str = Field(description="Shown on the consent page.")
    description: str = Field(description="What the app does.")
    homepage_url: str | None = Field(description="The app's website; null when not given.")
    logo_url: str | None = Field(description="The app's logo; null when not given.")
    redirect_uris: list[str] = Field(description="Where lifters may be sent back with a code.")
    client_type: ClientType = Field(description="Whether the app can keep a client secret.")
    allowed_scopes: list[Scope] = Field(description="The most the app may ask a lifter for.")
    rate_limit: int = Field(description="Requests a minute for the app's own tokens.")
    owner_id: int = Field(description="The account that registered the app.")
    suspended_at: datetime | None = Field(
        description="When an administrator suspended the app, as an ISO 8601 date-time; null "
        "while it is active. A suspended app's tokens all stop working."
    )
    suspended_reason: str | None = Field(
        description="Why the app was suspended; null while it is active."
    )
    created_at: datetime = Field(description="When the app was registered.")
    updated_at: datetime = Field(description="When the app was last changed.")


class AppCreated(AppPublic):
    """A newly registered app, with its client secret when it is confidential."""

    client_secret: str | None = Field(
        description="The client secret, shown only in this response: store it now. Null for "
        "a public app.",
        examples=["spcs_3hQm9ZkP0aX7cV2bN8rT1yU6wE4sD5fG2hJ0k"],
    )


class ClientSecret(BaseModel):
    """A confidential app's new client secret; the previous one stopped working."""

    client_id: str = Field(description="The app's public identifier.")
    client_secret: str = Field(
        description="The new client secret, shown only in this response.",
        examples=["spcs_3hQm9ZkP0aX7cV2bN8rT1yU6wE4sD5fG2hJ0k"],
    )


class Suspension(BaseModel):
    """Why an administrator suspends an app."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="Shown to the app's owner.", examples=["Requests lifters' logs it never uses."]
    )
