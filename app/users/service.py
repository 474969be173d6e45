"""Accounts: registration, login, token refresh and revocation, administrators."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import tokens
from app.auth.passwords import Passwords, needs_rehash
from app.auth.scopes import scopes_of
from app.db.session import run_statement
from app.errors import ConflictError, NotFoundError, UnauthorizedError
from app.oauth import service as oauth_service
from app.users.emails import normalise_email
from app.users.models import RefreshToken, User
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


async def token_pair(
    session: AsyncSession, user: User, secret: str, family: str | None = None
) -> TokenPair:
    """An access token and a refresh token, the latter recorded as the next of ``family``
    (a new family when ``family`` is None: a sign-in)."""
    assert user.id is not None  # noqa: S101
    access = tokens.issue(user.id, user.token_version, "access", secret)
    family = family or tokens.new_family()
    refresh = tokens.issue(user.id, user.token_version, "refresh", secret, family=family)
    # The account's expired rows go as new ones arrive, so the table holds only live tokens.
    await run_statement(
        session,
        delete(RefreshToken).where(
            col(RefreshToken.user_id) == user.id, col(RefreshToken.expires_at) < func.now()
        ),
    )
    session.add(
        RefreshToken(
            id=refresh.token_id, family=family, user_id=user.id, expires_at=refresh.expires_at
        )
    )
    return TokenPair(
        access_token=access.token, refresh_token=refresh.token, expires_in=access.lifetime_s
    )


async def authenticate(
    session: AsyncSession, passwords: Passwords, email: str, password: str
) -> User:
    """The account these credentials open (API sign-in and the consent page alike)."""
    # The turn comes first: see Passwords.turn for why the account is read inside it.
    async with passwords.turn() as hashing:
        user = await find_by_email(session, email)
        # The verify runs even without a user, so timing does not reveal registered emails.
        matches = await hashing.verify(user.password_hash if user else None, password)
        if not matches or user is None:
            raise UnauthorizedError("The email or password is wrong.", error="invalid_grant")
        if needs_rehash(user.password_hash):
            user.password_hash = await hashing.hash(password)
    return user


async def login(
    session: AsyncSession, passwords: Passwords, email: str, password: str, secret: str
) -> TokenPair:
    user = await authenticate(session, passwords, email, password)
    return await token_pair(session, user, secret)


async def refresh(session: AsyncSession, refresh_token: str, secret: str) -> TokenPair:
    """The next token pair of the presented token's family; the presented token is spent.

    Spending a token that was already spent revokes its family: the refresh that follows a
    theft is refused for the thief and the lifter alike, and the lifter signs in again.
    """
    try:
        claims = tokens.decode(refresh_token, secret, "refresh")
    except tokens.TokenError as exc:
        raise UnauthorizedError(
            f"The refresh token is not valid: {exc}.", error="invalid_grant"
        ) from exc
    # Locked: two refreshes with one token are taken in turn, so only the first can succeed.
    row = (
        await session.exec(
            select(RefreshToken).where(col(RefreshToken.id) == claims.token_id).with_for_update()
        )
    ).first()
    user = await session.get(User, claims.user_id)
    if (
        row is None
        or user is None
        or row.user_id != user.id
        or row.revoked_at is not None
        or user.token_version != claims.version
    ):
        raise UnauthorizedError("The refresh token has been revoked.", error="invalid_grant")
    if row.used_at is not None:
        await run_statement(
            session,
            update(RefreshToken)
            .where(col(RefreshToken.family) == row.family, col(RefreshToken.revoked_at).is_(None))
            .values(revoked_at=func.now()),
        )
        raise UnauthorizedError(
            "The refresh token was already used, so it may have been copied: every token of "
            "this sign-in is now revoked. Sign in again.",
            error="invalid_grant",
            keeps_writes=True,
        )
    row.used_at = datetime.now(UTC)
    return await token_pair(session, user, secret, family=row.family)


async def revoke_tokens(session: AsyncSession, user_id: int) -> None:
    """Log out everywhere: every access and refresh token issued so far stops working, the
    consent page's sign-ins included, and every app the lifter granted access loses it."""
    user = await get_user(session, user_id)
    user.token_version += 1
    await oauth_service.revoke_grants(session, user_id=user_id)
    # Their tokens are void by version already; the rows have nothing left to guard.
    await run_statement(session, delete(RefreshToken).where(col(RefreshToken.user_id) == user_id))


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
