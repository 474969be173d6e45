"""The authorization server's SQL: apps as clients, codes, grants and tokens.

Every function runs in the request's session and transaction. Rows are read as plain tuples
into the small records of ``app.oauth.records``, which are what the protocol library works
with; nothing here knows the protocol.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_statement
from app.oauth import credentials
from app.oauth.records import Client, Code, Token, TokenKind
from app.oauth.schemas import GrantPublic

_CLIENT = text(
    "SELECT id, client_id, name, description, homepage_url, logo_url, redirect_uris, "
    "client_type, secret_hash, allowed_scopes, rate_limit, suspended_at "
    "FROM registered_app WHERE client_id = :client_id"
)


async def find_client(session: AsyncSession, client_id: str, hash_secret: str) -> Client | None:
    row = (await run_statement(session, _CLIENT, client_id=client_id)).first()
    if row is None:
        return None
    return Client(
        id=row.id,
        client_id=row.client_id,
        name=row.name,
        description=row.description,
        homepage_url=row.homepage_url,
        logo_url=row.logo_url,
        redirect_uris=tuple(row.redirect_uris),
        client_type=row.client_type,
        secret_hash=row.secret_hash,
        allowed_scopes=tuple(row.allowed_scopes),
        suspended=row.suspended_at is not None,
        hash_secret=hash_secret,
    )


async def save_code(session: AsyncSession, code_hash: str, code: Code) -> None:
    # Expired codes of the app go as new ones arrive, so the table holds only live ones.
    await run_statement(
        session,
        text(
            "DELETE FROM oauth_code WHERE app_id = :app_id "
            "AND expires_at < now() - interval '1 day'"
        ),
        app_id=code.app_id,
    )
    await run_statement(
        session,
        text(
            "INSERT INTO oauth_code (code_hash, app_id, user_id, redirect_uri, scopes, "
            "code_challenge, code_challenge_method, expires_at) VALUES (:code_hash, :app_id, "
            ":user_id, :redirect_uri, :scopes, :challenge, :method, now() + make_interval("
            "secs => :ttl))"
        ),
        code_hash=code_hash,
        app_id=code.app_id,
        user_id=code.user_id,
        redirect_uri=code.redirect_uri,
        scopes=list(code.scopes),
        challenge=code.code_challenge,
        method=code.code_challenge_method,
        ttl=credentials.CODE_TTL.total_seconds(),
    )


async def take_code(session: AsyncSession, code_hash: str, app_id: int) -> Code | None:
    """The live code for ``app_id``, locked so that two exchanges of one code queue and only
    the first succeeds. A code presented again after its exchange means it leaked: the tokens
    issued from it are revoked (RFC 6749 section 4.1.2), and the answer is None."""
    row = (
        await run_statement(
            session,
            text(
                "SELECT code_hash, app_id, user_id, redirect_uri, scopes, code_challenge, "
                "code_challenge_method, expires_at < now() AS expired, used_at "
                "FROM oauth_code WHERE code_hash = :code_hash FOR UPDATE"
            ),
            code_hash=code_hash,
        )
    ).first()
    if row is None or row.app_id != app_id:
        return None
    if row.used_at is not None:
        await revoke_family(session, row.code_hash)
        return None
    if row.expired:
        return None
    return Code(
        code_hash=row.code_hash,
        app_id=row.app_id,
        user_id=row.user_id,
        redirect_uri=row.redirect_uri,
        scopes=tuple(row.scopes),
        code_challenge=row.code_challenge,
        code_challenge_method=row.code_challenge_method,
    )


async def spend_code(session: AsyncSession, code_hash: str) -> None:
    # Kept (not deleted) until it expires, so that a replay is recognised as one.
    await run_statement(
        session,
        text("UPDATE oauth_code SET used_at = now() WHERE code_hash = :code_hash"),
        code_hash=code_hash,
    )


async def user_is_admin(session: AsyncSession, user_id: int) -> bool | None:
    """Whether the account is an administrator; None when it no longer exists."""
    row = (
        await run_statement(
            session, text("SELECT is_admin FROM user_account WHERE id = :id"), id=user_id
        )
    ).first()
    return None if row is None else bool(row.is_admin)


async def live_grant(
    session: AsyncSession, user_id: int, app_id: int, scopes: tuple[str, ...]
) -> int:
    """The lifter's live grant for the app with these scopes: the existing one updated, or a
    new one. Locked by the partial unique index, so two consents at once make one grant."""
    row = (
        await run_statement(
            session,
            text(
                "INSERT INTO oauth_grant (user_id, app_id, scopes) VALUES (:user_id, :app_id, "
                ":scopes) ON CONFLICT (user_id, app_id) WHERE revoked_at IS NULL DO UPDATE SET "
                "scopes = EXCLUDED.scopes, updated_at = now() RETURNING id"
            ),
            user_id=user_id,
            app_id=app_id,
            scopes=list(scopes),
        )
    ).one()
    return int(row.id)


async def insert_token(
    session: AsyncSession,
    access_hash: str,
    refresh_hash: str | None,
    app_id: int,
    grant_id: int | None,
    family: str,
    scopes: tuple[str, ...],
) -> None:
    await run_statement(
        session,
        text(
            "INSERT INTO oauth_token (access_hash, refresh_hash, app_id, grant_id, family, "
            "scopes, access_expires_at, refresh_expires_at) VALUES (:access_hash, "
            ":refresh_hash, :app_id, :grant_id, :family, :scopes, now() + make_interval(secs "
            "=> :access_ttl), CASE WHEN :has_refresh THEN now() + make_interval(secs => "
            ":refresh_ttl) END)"
        ),
        access_hash=access_hash,
        refresh_hash=refresh_hash,
        has_refresh=refresh_hash is not None,
        app_id=app_id,
        grant_id=grant_id,
        family=family,
        scopes=list(scopes),
        access_ttl=credentials.ACCESS_TTL.total_seconds(),
        refresh_ttl=credentials.REFRESH_TTL.total_seconds(),
    )


_ISSUED = (
    "SELECT t.id, t.app_id, a.client_id, t.grant_id, g.user_id, t.family, t.scopes, "
    "t.created_at, t.access_expires_at, t.refresh_expires_at, t.refresh_used_at, "
    "t.revoked_at, g.revoked_at AS grant_revoked_at, a.suspended_at, "
    "t.access_expires_at <= now() AS access_expired, "
    "coalesce(t.refresh_expires_at <= now(), true) AS refresh_expired "
    "FROM oauth_token t JOIN registered_app a ON a.id = t.app_id "
    "LEFT JOIN oauth_grant g ON g.id = t.grant_id "
)


async def find_token(
    session: AsyncSession, digest: str, kind: TokenKind, *, lock: bool = False
) -> Token | None:
    column = "t.access_hash" if kind == "access_token" else "t.refresh_hash"
    query = _ISSUED + f"WHERE {column} = :digest" + (" FOR UPDATE OF t" if lock else "")
    row = (await run_statement(session, text(query), digest=digest)).first()
    if row is None:
        return None
    return Token(
        id=row.id,
        app_id=row.app_id,
        client_id=row.client_id,
        grant_id=row.grant_id,
        user_id=row.user_id,
        family=row.family,
        scopes=tuple(row.scopes),
        kind=kind,
        issued_at=row.created_at,
        expires_at=row.access_expires_at if kind == "access_token" else row.refresh_expires_at,
        expired=row.access_expired if kind == "access_token" else row.refresh_expired,
        revoked=(
            row.revoked_at is not None
            or row.grant_revoked_at is not None
            or row.suspended_at is not None
            or (kind == "refresh_token" and row.refresh_used_at is not None)
        ),
        spent=row.refresh_used_at is not None,
    )


async def spend_refresh_token(session: AsyncSession, token_id: int) -> None:
    """Rotation: the presented refresh token is spent and its access token ends with it."""
    await run_statement(
        session,
        text(
            "UPDATE oauth_token SET refresh_used_at = now(), revoked_at = coalesce(revoked_at, "
            "now()) WHERE id = :id"
        ),
        id=token_id,
    )


async def revoke_family(session: AsyncSession, family: str) -> None:
    await run_statement(
        session,
        text(
            "UPDATE oauth_token SET revoked_at = now() WHERE family = :family AND revoked_at IS "
            "NULL"
        ),
        family=family,
    )


async def revoke_token_row(session: AsyncSession, token_id: int) -> None:
    await run_statement(
        session,
        text("UPDATE oauth_token SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL"),
        id=token_id,
    )


async def revoke_grants(session: AsyncSession, *, user_id: int, grant_id: int | None = None) -> int:
    """Revoke one grant of the lifter (or all of them) and every token issued under it; the
    number of grants revoked. Tokens check their grant on every request, so this is at once."""
    rows = (
        await run_statement(
            session,
            text(
                "UPDATE oauth_grant SET revoked_at = now(), updated_at = now() WHERE user_id = "
                ":user_id AND revoked_at IS NULL AND (CAST(:grant_id AS integer) IS NULL OR id "
                "= :grant_id) RETURNING id"
            ),
            user_id=user_id,
            grant_id=grant_id,
        )
    ).all()
    ids = [row.id for row in rows]
    if ids:
        await run_statement(
            session,
            text(
                "UPDATE oauth_token SET revoked_at = now() WHERE grant_id = ANY(:ids) AND "
                "revoked_at IS NULL"
            ),
            ids=ids,
        )
    return len(ids)


async def grant_exists(session: AsyncSession, user_id: int, grant_id: int) -> bool:
    row = (
        await run_statement(
            session,
            text("SELECT 1 FROM oauth_grant WHERE id = :id AND user_id = :user_id"),
            id=grant_id,
            user_id=user_id,
        )
    ).first()
    return row is not None


async def list_grants(session: AsyncSession, user_id: int) -> list[GrantPublic]:
    rows = (
        await run_statement(
            session,
            text(
                "SELECT g.id, a.client_id, a.name AS app_name, a.homepage_url, g.scopes, "
                "g.updated_at AS granted_at, g.created_at AS first_granted_at, g.last_used_at "
                "FROM oauth_grant g JOIN registered_app a ON a.id = g.app_id "
                "WHERE g.user_id = :user_id AND g.revoked_at IS NULL ORDER BY g.id"
            ),
            user_id=user_id,
        )
    ).all()
    return [GrantPublic.model_validate(row, from_attributes=True) for row in rows]
