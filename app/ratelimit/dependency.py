"""Who is counted against which quota, and the dependencies that enforce it on /v1.

Each request is counted once against the quota of its caller: the API key, the user behind a
bearer token, or, for anonymous callers, the client address. Knowledge-base reads have larger
quotas of their own, for keys with kb:read and for anonymous callers alike: paging the catalog
is cheap (most answers come from memory, ``app.knowledge.fast_path``) and must not use up the
anonymous budget that registration, sign-in and the recommender share. Sign-in failures and
key creation have their own, much smaller quotas. A refusal names its quota and, for
anonymous callers and users, the ways to a larger one. The decisions are kept in the request
state so that a middleware can send the `RateLimit-Policy`/`RateLimit` fields on every
response, errors included.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import ipaddress
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from app.auth.dependencies import AppPrincipal, Caller, LoggedInUser, OptionalPrincipal
from app.auth.scopes import Scope
from app.config import Settings
from app.db.deadline import request_deadline
from app.errors import QuotaAlternative, TooManyRequestsError, UnauthorizedError
from app.metrics import RATE_LIMIT_REFUSALS
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.ratelimit.service import Decision, Limiter, Policy
from app.users.emails import normalise_email

# The request-state entry the header middleware reads.
DECISIONS_STATE_KEY = "rate_limit_decisions"
# Tags of the public knowledge-base reads, which have their own quotas (anonymous, and keys
# with kb:read). Every catalog route whose answers are stored (CachingRoute) carries one, so
# an answer sent before routing is counted as the route would count it. The bulk snapshot
# ("exports") is one such read too: README, "Catalog snapshots", says why it costs one hit.
KNOWLEDGE_BASE_TAGS = frozenset(
    {"exercises", "anatomy", "guidance", "search", "sources", "exports"}
)
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Policies:
    """Every quota, built once from the settings."""

    enabled: bool
    anonymous: Policy
    kb_anonymous: Policy
    user: Policy
    key: Policy
    kb_key: Policy
    login: Policy
    login_address: Policy
    login_account: Policy
    key_creation: Policy
    # An app's tokens for a lifter count like that lifter's API keys, per grant.
    grant: Policy
    kb_grant: Policy
    # An app's own tokens (client credentials): per app, at most this.
    app: Policy
    # The OAuth endpoints (token, revocation, introspection, the consent page), per address.
    oauth: Policy

    @classmethod
    def from_settings(cls, settings: Settings) -> Policies:
        s = settings
        return cls(
            enabled=s.rate_limit_enabled,
            anonymous=Policy("anonymous", s.rate_limit_anonymous, s.rate_limit_anonymous_window_s),
            kb_anonymous=Policy(
                "anonymous-kb", s.rate_limit_kb_anonymous, s.rate_limit_kb_anonymous_window_s
            ),
            user=Policy("user", s.rate_limit_user, s.rate_limit_user_window_s),
            key=Policy("api-key", s.rate_limit_key, s.rate_limit_key_window_s),
            kb_key=Policy("api-key-kb", s.rate_limit_kb_key, s.rate_limit_kb_key_window_s),
            login=Policy("sign-in", s.rate_limit_login_failures, s.rate_limit_login_window_s),
            login_address=Policy(
                "sign-in-address",
                s.rate_limit_login_address_failures,
                s.rate_limit_login_address_window_s,
            ),
            login_account=Policy(
                "sign-in-account",
                s.rate_limit_login_account_failures,
                s.rate_limit_login_account_window_s,
            ),
            key_creation=Policy(
                "api-key-creation",
                s.rate_limit_key_creation,
                s.rate_limit_key_creation_window_s,
            ),
            grant=Policy("app-grant", s.rate_limit_key, s.rate_limit_key_window_s),
            kb_grant=Policy("app-grant-kb", s.rate_limit_kb_key, s.rate_limit_kb_key_window_s),
            app=Policy("app", s.rate_limit_app, s.rate_limit_app_window_s),
            oauth=Policy("oauth", s.rate_limit_oauth, s.rate_limit_oauth_window_s),
        )

    def for_app(self, rate_limit: int | None) -> Policy:
        """An app's own quota: the one it set for itself, if lower than the default."""
        if rate_limit is None or rate_limit >= self.app.limit:
            return self.app
        return dataclasses.replace(self.app, limit=rate_limit)


def _policies(request: Request) -> Policies:
    policies: Policies = request.app.state.rate_limit_policies
    return policies


def _limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.rate_limiter
    return limiter


def client_address(request: Request) -> str:
    """The address an anonymous caller is counted by.

    IPv6 clients usually hold a whole /64, so they are counted per /64: otherwise a single
    host could rotate through addresses and never run out of quota. Behind a reverse proxy,
    uvicorn's proxy-headers support puts the real client here, but only for requests whose
    TCP peer is listed in ``SPOTTER_TRUSTED_PROXIES`` (see app/serving.py): anyone else's
    X-Forwarded-For is ignored, so a client cannot pick the address it is counted by.
    """
    return _counted_as(request.client.host if request.client else "unknown")


# Parsing an address was a tenth of a stored catalog answer's cost, and a server sees the
# same few thousand clients again and again; bounded, so a scan of addresses cannot grow it.
@functools.lru_cache(maxsize=8192)
def _counted_as(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _record(request: Request, decision: Decision) -> None:
    # The scope's state dict is the one `request.state` wraps, and middleware sees it too.
    state: dict[str, Any] = request.scope.setdefault("state", {})
    decisions: list[Decision] = state.setdefault(DECISIONS_STATE_KEY, [])
    # A policy appears once: a later decision about the same policy replaces the earlier one.
    decisions[:] = [d for d in decisions if d.policy.name != decision.policy.name]
    decisions.append(decision)


def recorded(scope_state: dict[str, Any] | None) -> list[Decision]:
    """The decisions stored for a request, read from its ASGI scope's state."""
    if not scope_state:
        return []
    decisions: list[Decision] = scope_state.get(DECISIONS_STATE_KEY, [])
    return decisions


def _refused(policies: Policies, decision: Decision, detail: str) -> TooManyRequestsError:
    # Every 429 of every policy is built here, the one before routing included.
    RATE_LIMIT_REFUSALS.labels(decision.policy.name).inc()
    return TooManyRequestsError(
        f"{detail} Retry in {decision.retry_after_s} s.",
        retry_after_s=decision.retry_after_s,
        policy=decision.policy.name,
        alternatives=alternatives(policies, decision.policy.name),
    )


_KEY_STEPS = (
    "Register (POST /v1/auth/register), sign in (POST /v1/auth/token), then create the key "
    "(POST /v1/me/api-keys)."
)


# Refusals can be most of the answers under a flood: each policy's list is built once.
@functools.lru_cache(maxsize=16)
def alternatives(policies: Policies, refused: str) -> tuple[QuotaAlternative, ...]:
    """What a client refused by the quota named ``refused`` can do instead of waiting.

    There is no bulk export of the catalog: the ways are credentials with a larger quota and
    the largest page size. Sign-in and key-creation refusals get none: waiting is the point."""
    if refused == policies.kb_anonymous.name:
        kb_key = _way(
            policies.kb_key,
            "/v1/me/api-keys",
            "Send an API key (X-API-Key) with the kb:read scope: knowledge-base reads then "
            f"count against the key's own quota. {_KEY_STEPS}",
        )
        pages = QuotaAlternative(
            description=f"Ask for {MAX_LIMIT} items a page (limit={MAX_LIMIT}; the default is "
            f"{DEFAULT_LIMIT}): the whole catalog in a fifth of the requests.",
            href=f"/v1/exercises?limit={MAX_LIMIT}",
        )
        return kb_key, pages
    key = _way(
        policies.key,
        "/v1/me/api-keys",
        "Send an API key (X-API-Key): requests then count against the key's own quota (and "
        f"knowledge-base reads, with the kb:read scope, against a larger one). {_KEY_STEPS}",
    )
    if refused == policies.anonymous.name:
        account = _way(
            policies.user,
            "/v1/auth/token",
            "Sign in and send the bearer token: requests then count against your account's "
            "quota, not this address's. Register (POST /v1/auth/register) once, then sign in "
            "(POST /v1/auth/token).",
        )
        return account, key
    if refused == policies.user.name:
        return (key,)
    return ()


def _way(policy: Policy, href: str, description: str) -> QuotaAlternative:
    return QuotaAlternative(
        description=description,
        href=href,
        policy=policy.name,
        limit=policy.limit,
        window_s=policy.window_s,
    )


def describe_quotas(
    policies: Policies, *, knowledge_base: bool, sign_in: bool, key_creation: bool
) -> str:
    """The quotas an operation counts against, for its documented 429."""

    def named(policy: Policy, per: str = "") -> str:
        return f"`{policy.name}` ({policy.limit} per {policy.window_s} s{per})"

    if knowledge_base:
        anonymous = named(policies.kb_anonymous, " per client address")
        key = (
            f"{named(policies.kb_key)} with an API key that has kb:read, else {named(policies.key)}"
        )
    else:
        anonymous = named(policies.anonymous, " per client address")
        key = f"{named(policies.key)} with an API key"
    text = (
        f"Too many requests; see `Retry-After`. Each request counts against the caller's quota: "
        f"{anonymous} without credentials, {named(policies.user)} with a bearer token, {key}."
    )
    if sign_in:
        text += (
            f" Failed sign-ins also count against {named(policies.login_address)}, "
            f"{named(policies.login, ' per account and address')} and "
            f"{named(policies.login_account)}."
        )
    if key_creation:
        text += f" Creating a key also counts against {named(policies.key_creation, ' per user')}."
    return text + (
        " The body names the quota that refused (`policy`) and, where there are any, the ways "
        "to a larger one (`alternatives`)."
    )


def is_knowledge_base_read(method: str, tags: Iterable[object]) -> bool:
    """Whether an operation reads the public knowledge base (and has its quotas)."""
    return method.upper() in READ_METHODS and not KNOWLEDGE_BASE_TAGS.isdisjoint(
        str(t) for t in tags
    )


def _is_knowledge_base_read(request: Request) -> bool:
    route = request.scope.get("route")
    return is_knowledge_base_read(request.method, route.tags if isinstance(route, APIRoute) else [])


def _quota_for(
    request: Request, policies: Policies, principal: Caller | None
) -> tuple[Policy, str]:
    if principal is None:
        if _is_knowledge_base_read(request):
            return policies.kb_anonymous, f"anon-kb:{client_address(request)}"
        return policies.anonymous, f"anon:{client_address(request)}"
    if isinstance(principal, AppPrincipal):
        return policies.for_app(principal.rate_limit), f"app:{principal.app_id}"
    kb_read = Scope.KB_READ in principal.scopes and _is_knowledge_base_read(request)
    # A credential an app holds (a key, or an OAuth grant) has its own quota, and a larger
    # one for the catalog when it carries kb:read; the lifter's own login has theirs.
    for held, regular, catalog, name in (
        (principal.api_key_id, policies.key, policies.kb_key, "key"),
        (principal.grant_id, policies.grant, policies.kb_grant, "grant"),
    ):
        if held is not None:
            return (catalog, f"{name}-kb:{held}") if kb_read else (regular, f"{name}:{held}")
    return policies.user, f"user:{principal.user_id}"


async def _count_refused_credentials(request: Request) -> AsyncIterator[None]:
    """Charge requests whose credentials were refused to their address's anonymous quota.

    Credential resolution runs before the quota is chosen, so without this a flood of bad
    tokens or guessed keys would cost a database lookup each and never be limited.
    """
    try:
        yield
    except UnauthorizedError:
        policies = _policies(request)
        already_counted = recorded(request.scope.get("state"))
        if policies.enabled and not already_counted:
            decision = await _limiter(request).hit(
                policies.anonymous,
                f"anon:{client_address(request)}",
                deadline=request_deadline(request),
            )
            _record(request, decision)
            if not decision.allowed:
                raise _refused(policies, decision, "Too many requests from this address.") from None
        raise


async def enforce_rate_limit(
    request: Request,
    _refusals: Annotated[None, Depends(_count_refused_credentials, scope="function")],
    principal: OptionalPrincipal,
) -> None:
    """The /v1 router's dependency: one GCRA hit per request against the caller's quota."""
    policies = _policies(request)
    if not policies.enabled:
        return
    await _spend(request, *_quota_for(request, policies, principal))


async def count_anonymous_request(request: Request) -> None:
    """What ``enforce_rate_limit`` does for a caller without credentials, for a catalog read
    answered before routing (``app.knowledge.fast_path``): the same hit against the anonymous
    knowledge-base quota, the same 429."""
    policies = _policies(request)
    if policies.enabled:
        await _spend(request, policies.kb_anonymous, f"anon-kb:{client_address(request)}")


async def limit_oauth_request(request: Request) -> None:
    """The OAuth endpoints' quota, per client address: they sit outside /v1 (the protocol
    fixes their shape), but a flood of guessed codes or secrets is still refused early."""
    policies = _policies(request)
    if policies.enabled:
        await _spend(request, policies.oauth, f"oauth:{client_address(request)}")


async def _spend(request: Request, policy: Policy, key: str) -> None:
    decision = await _limiter(request).hit(policy, key, deadline=request_deadline(request))
    _record(request, decision)
    if not decision.allowed:
        raise _refused(_policies(request), decision, f"The '{policy.name}' quota is used up.")


class SignInAttempts:
    """Counts failed sign-ins three ways, checked in this order:

    1. ``sign-in-address``: per client address, across accounts. It caps password spraying
       and, because it is checked first, how many counter rows one address can create.
    2. ``sign-in``: per (account, address). This is the limit an attacker guessing one
       password meets, and it locks out only that attacker's address, never the owner's.
    3. ``sign-in-account``: per account from anywhere, slower than the pair limit, so that a
       single address can never use it up (see README, "Sign-in limits").

    Successes are given back to all three, so only failures use the quotas. The attempt after
    the last allowed failure is refused before the password is even checked, and a refused
    attempt is given back to the quotas it had already passed: it never ran.
    """

    def __init__(self, request: Request) -> None:
        self._request = request
        self._policies = _policies(request)
        self._limiter = _limiter(request)

    @asynccontextmanager
    async def attempt(self, email: str) -> AsyncIterator[None]:
        if not self._policies.enabled:
            yield
            return
        address = client_address(self._request)
        # Hashed: the table should not become a list of who tried to sign in.
        account = hashlib.sha256(normalise_email(email).encode()).hexdigest()[:40]
        policies = self._policies
        checks = (
            (policies.login_address, f"login:addr:{address}", "from this address"),
            (policies.login, f"login:pair:{account}:{address}", "for this account from here"),
            (policies.login_account, f"login:acct:{account}", "for this account"),
        )
        passed: list[tuple[Policy, str, Decision]] = []
        for policy, key, where in checks:
            decision = await self._limiter.hit(
                policy, key, deadline=request_deadline(self._request)
            )
            if not decision.allowed:
                await self._give_back(passed)
                _record(self._request, decision)
                raise _refused(policies, decision, f"Too many failed sign-ins {where}.")
            passed.append((policy, key, decision))
            # The account-wide count is not shown while it allows: it would tell anyone how
            # often others have failed on an email.
            if policy is not policies.login_account:
                _record(self._request, decision)
        try:
            yield
        except UnauthorizedError:
            raise  # a failure: it keeps its place in every quota
        except BaseException:
            await self._give_back(passed)
            raise
        await self._give_back(passed)

    async def _give_back(self, passed: list[tuple[Policy, str, Decision]]) -> None:
        for policy, key, decision in passed:
            await self._limiter.refund(policy, key, deadline=request_deadline(self._request))
            if policy is not self._policies.login_account:
                _record(self._request, _given_back(decision))


def _given_back(decision: Decision) -> Decision:
    """The decision as the client should see it once its hit was refunded."""
    return dataclasses.replace(
        decision, remaining=min(decision.policy.limit, decision.remaining + 1)
    )


SignInGuard = Annotated[SignInAttempts, Depends(SignInAttempts)]


async def limit_key_creation(request: Request, principal: LoggedInUser) -> None:
    """A tight quota on minting API keys, per user: a stolen session cannot mint keys in bulk."""
    policies = _policies(request)
    if not policies.enabled:
        return
    decision = await _limiter(request).hit(
        policies.key_creation, f"keys:{principal.user_id}", deadline=request_deadline(request)
    )
    _record(request, decision)
    if not decision.allowed:
        raise _refused(policies, decision, "Too many API keys created recently.")
