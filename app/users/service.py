"""Accounts: registration, login, token refresh and revocation, administrators."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import tokens
from app.auth.passwords import Passwords, needs_rehash
from app.auth.scopes import scopes_of
from app.errors import ConflictError, NotFoundError, UnauthorizedError
from app.users.emails import normalise_email
from app.users.models import User
from app.users.schemas import TokenPair, UserCreate, UserPublic


def public(user: User) -> UserPublic:
    assert user.id is not None  # noqa: S101 - stored rows have ids
    return UserPublic(
        id=user.id,
        email=user.email,
        is_admin=user.is_admin,
        scopes=sorted(scopes_of(is_admin=user.is_admin)),
        created_at=user.created_at,
    )


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    wanted = normalise_email(email)
    return (await session.exec(select(User).where(col(User.email) == wanted))).first()


async def register(session: AsyncSession, passwords: Passwords, data: UserCreate) -> User:
    # Hashed before the database is touched, so a registration waiting for a hashing turn
    # holds no connection.
    password_hash = await passwords.hash(data.password)
    if await find_by_email(session, data.email) is not None:
        raise ConflictError("An account with this email already exists.")
    user = User(email=data.email, password_hash=password_hash)
    session.add(user)
    await session.flush()
    return user


def token_pair(user: User, secret: str) -> TokenPair:
    assert user.id is not None  # noqa: S101
    access, expires_in = tokens.issue(user.id, user.token_version, "access", secret)
    refresh, _ = tokens.issue(user.id, user.token_version, "refresh", secret)
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=expires_in)


async def login(
    session: AsyncSession, passwords: Passwords, email: str, password: str, secret: str
) -> TokenPair:
    # The turn comes first: see Passwords.turn for why the account is read inside it.
    async with passwords.turn() as hashing:
        user = await find_by_email(session, email)
        # The verify runs even without a user, so timing does not reveal registered emails.
        matches = await hashing.verify(user.password_hash if user else None, password)
        if not matches or user is None:
            raise UnauthorizedError("The email or password is wrong.", error="invalid_grant")
        if needs_rehash(user.password_hash):
            user.password_hash = await hashing.hash(password)
    return token_pair(user, secret)


async def refresh(session: AsyncSession, refresh_token: str, secret: str) -> TokenPair:
    try:
        claims = tokens.decode(refresh_token, secret, "refresh")
    except tokens.TokenError as exc:
        raise UnauthorizedError(
            f"The refresh token is not valid: {exc}.", error="invalid_grant"
        ) from exc
    user = await session.get(User, claims.user_id)
    if user is None or user.token_version != claims.version:
        raise UnauthorizedError("The refresh token has been revoked.", error="invalid_grant")
    return token_pair(user, secret)


async def revoke_tokens(session: AsyncSession, user_id: int) -> None:
    """Log out everywhere: every access and refresh token issued so far stops working."""
    user = await get_user(session, user_id)
    user.token_version += 1


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError("No such account.")
    return user


async def make_admin(
    session: AsyncSession, passwords: Passwords, email: str, password: str | None
) -> tuple[User, bool]:
    """Create the administrator, or promote an existing account; returns (user, created)."""
    user = await find_by_email(session, email)
    created = user is None
    if user is None:
        if password is None:
            msg = "a password is required to create a new account"
            raise ValueError(msg)
        user = User(email=normalise_email(email), password_hash=await passwords.hash(password))
        session.add(user)
    user.is_admin = True
    await session.flush()
    return user, created
