"""Account request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from app.auth.common_passwords import is_common
from app.auth.scopes import Scope
from app.users.emails import normalise_email


def _normalised_email(value: object) -> object:
    # Anything but text is left for the string validation to refuse with its own message.
    return normalise_email(value) if isinstance(value, str) else value


# Normalised before the length and the pattern are checked, so both hold for what is stored:
# a ligature grows into several letters, and a fullwidth at sign is only an at sign after it.
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Compared and stored in Unicode NFKC, lower-cased: `Alice@Example.COM`, or "
        "the same letters in fullwidth forms, is the account `alice@example.com`.",
        examples=["lifter@example.com"],
    ),
    BeforeValidator(_normalised_email),
]


def _uncommon(value: str) -> str:
    if is_common(value):
        msg = "is one of the most commonly used passwords; choose one that is not"
        raise ValueError(msg)
    return value


Password = Annotated[
    str,
    Field(
        min_length=10,
        max_length=128,
        description="10 to 128 characters, and not one of the most common passwords (such as "
        "`password123` or `qwertyuiop`, compared without regard to case).",
        examples=["correct horse battery"],
    ),
    AfterValidator(_uncommon),
]


class StrictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(StrictRequest):
    """A new account: an email address and a password."""

    email: Email
    password: Password


class LoginRequest(StrictRequest):
    """Credentials to sign in with."""

    email: Email
    password: Annotated[str, Field(min_length=1, max_length=128)] = Field(
        description="The account's password."
    )


class RefreshRequest(StrictRequest):
    """A refresh token to exchange for a new token pair."""

    refresh_token: Annotated[str, Field(min_length=1, max_length=2048)] = Field(
        description="The `refresh_token` of the latest token pair; each works once."
    )


class TokenPair(BaseModel):
    """Bearer tokens for an account: a short-lived access token and a single-use refresh token."""

    access_token: str = Field(
        description="Send as `Authorization: Bearer <token>` on authenticated requests."
    )
    refresh_token: str = Field(
        description="Exchange at `/v1/auth/refresh` for a new pair; valid once, for at most 30 "
        "days."
    )
    token_type: Literal["bearer"] = Field(
        default="bearer",  # the OAuth 2 token type name, not a secret
        description="Always `bearer`.",
    )
    expires_in: int = Field(description="Seconds until the access token expires.", examples=[900])


class UserPublic(BaseModel):
    """The signed-in account."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Account identifier.")
    email: str = Field(
        examples=["lifter@example.com"],
        description="The account's email address, normalised (NFKC, lower-case).",
    )
    is_admin: bool = Field(description="True for knowledge-base administrators.")
    scopes: list[Scope] = Field(description="What this account's own login may do.")
    created_at: datetime = Field(
        description="When the account was created, as an ISO 8601 date-time."
    )
