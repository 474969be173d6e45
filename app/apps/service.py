"""Registered apps: registration with a one-time secret, changes, rotation, suspension.

Owner-scoped: someone else's app is "not found", never "forbidden", so client ids cannot be
probed; administrators see and suspend every app.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.apps.models import RegisteredApp
from app.apps.schemas import (
    AppCreate,
    AppCreated,
    AppPublic,
    AppUpdate,
    ClientSecret,
    ClientType,
)
from app.auth.scopes import Scope
from app.errors import ConflictError, InvalidInputError, InvalidParam, NotFoundError
from app.oauth import credentials
from app.users.models import User

MAX_APPS_PER_USER = 20


def public(app: RegisteredApp, default_rate_limit: int) -> AppPublic:
    return AppPublic(
        client_id=app.client_id,
        name=app.name,
        description=app.description,
        homepage_url=app.homepage_url,
        logo_url=app.logo_url,
        redirect_uris=list(app.redirect_uris),
        client_type=ClientType(app.client_type),
        allowed_scopes=[Scope(s) for s in app.allowed_scopes],
        rate_limit=app.rate_limit or default_rate_limit,
        owner_id=app.owner_id,
        suspended_at=app.suspended_at,
        suspended_reason=app.suspended_reason,
        created_at=app.created_at,
        updated_at=app.updated_at,
    )


def _check_rate_limit(value: int | None, most: int) -> None:
    if value is not None and value > most:
        reason = f"must be at most {most}, the service's quota for an app"
        raise InvalidInputError(
            f"The rate limit {reason}.",
            errors=[
                InvalidParam(name="rate_limit", location="body", reason=reason, type="value_error")
            ],
        )


async def register(
    session: AsyncSession, owner_id: int, data: AppCreate, hash_secret: str, most: int
) -> AppCreated:
    """A new app owned by ``owner_id``; a confidential app's secret is in the result only."""
    _check_rate_limit(data.rate_limit, most)
    # The owner's row is locked first, so concurrent registrations count each other.
    await session.exec(select(User.id).where(col(User.id) == owner_id).with_for_update())
    count = (
        await session.exec(select(func.count()).where(col(RegisteredApp.owner_id) == owner_id))
    ).one()
    if count >= MAX_APPS_PER_USER:
        raise ConflictError(f"You already have {count} apps; delete one before adding another.")
    secret = credentials.new(credentials.CLIENT_SECRET_PREFIX)
    confidential = data.client_type is ClientType.CONFIDENTIAL
    app = RegisteredApp(
        client_id=credentials.new(credentials.CLIENT_ID_PREFIX),
        owner_id=owner_id,
        name=data.name,
        description=data.description,
        homepage_url=data.homepage_url,
        logo_url=data.logo_url,
        redirect_uris=list(data.redirect_uris),
        client_type=data.client_type.value,
        secret_hash=credentials.digest(secret, hash_secret) if confidential else None,
        allowed_scopes=[s.value for s in data.allowed_scopes],
        rate_limit=data.rate_limit,
    )
    session.add(app)
    await session.flush()
    await session.refresh(app)
    return AppCreated(
        **public(app, most).model_dump(), client_secret=secret if confidential else None
    )


async def list_apps(
    session: AsyncSession, owner_id: int | None, default_rate_limit: int
) -> list[AppPublic]:
    """The apps of ``owner_id``, or every app when it is None (administrators)."""
    query = select(RegisteredApp).order_by(col(RegisteredApp.id))
    if owner_id is not None:
        query = query.where(col(RegisteredApp.owner_id) == owner_id)
    return [public(app, default_rate_limit) for app in (await session.exec(query)).all()]


async def get_app(
    session: AsyncSession, client_id: str, viewer_id: int, *, is_admin: bool, lock: bool = False
) -> RegisteredApp:
    query = select(RegisteredApp).where(col(RegisteredApp.client_id) == client_id)
    if not is_admin:
        query = query.where(col(RegisteredApp.owner_id) == viewer_id)
    if lock:
        query = query.with_for_update()
    app = (await session.exec(query)).first()
    if app is None:
        raise NotFoundError(f"You have no app {client_id}.")
    return app


async def update_app(
    session: AsyncSession, app: RegisteredApp, data: AppUpdate, most: int
) -> RegisteredApp:
    _check_rate_limit(data.rate_limit, most)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None and name in {"name", "redirect_uris", "allowed_scopes"}:
            reason = "cannot be null; leave the field out to keep it"
            raise InvalidInputError(
                f"{name} {reason}.",
                errors=[
                    InvalidParam(name=name, location="body", reason=reason, type="value_error")
                ],
            )
        setattr(app, name, value)
    app.updated_at = datetime.now(UTC)
    await session.flush()
    await session.refresh(app)
    return app


def rotate_secret(app: RegisteredApp, hash_secret: str) -> ClientSecret:
    if app.client_type != ClientType.CONFIDENTIAL:
        raise ConflictError("A public app has no client secret to rotate.")
    secret = credentials.new(credentials.CLIENT_SECRET_PREFIX)
    app.secret_hash = credentials.digest(secret, hash_secret)
    app.updated_at = datetime.now(UTC)
    return ClientSecret(client_id=app.client_id, client_secret=secret)


async def delete_app(session: AsyncSession, app: RegisteredApp) -> None:
    # Grants, codes and tokens go with it (ON DELETE CASCADE).
    await session.delete(app)


async def suspend(session: AsyncSession, app: RegisteredApp, reason: str | None) -> RegisteredApp:
    """Suspend (with a reason) or reinstate (None) an app. Its tokens check the app on every
    request, so a suspension takes effect at once."""
    app.suspended_at = datetime.now(UTC) if reason is not None else None
    app.suspended_reason = reason
    app.updated_at = datetime.now(UTC)
    await session.flush()
    await session.refresh(app)
    return app
