"""Auth routes: thin. Parse, authorise, call the service in a thread, shape the answer."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import jwt
from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from plant_analytics.auth.api_keys import KEY_ID_PATTERN, PREFIX
from plant_analytics.auth.cookies import (
    CSRF_HEADER,
    REFRESH_COOKIE,
    cleared_refresh_cookie,
    csrf_refusal,
    refresh_cookie,
    set_refresh_cookie,
)
from plant_analytics.auth.keys import KeyStore
from plant_analytics.auth.repository import ApiKeyRow, UserRow
from plant_analytics.auth.schemas import (
    AccessTokenResponse,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyExchange,
    ApiKeyList,
    ApiKeyOut,
    LoginRequest,
    RefreshRequest,
    TokenResponse,
    UserCreate,
    UserList,
    UserOut,
    UserUpdate,
)
from plant_analytics.auth.service import AuthError, AuthService, TokenPair
from plant_analytics.auth.tokens import AMR_API_KEY
from plant_analytics.problems import Problem
from plant_analytics.security.deps import RequireAdmin, RequireUser, bearer_token, unauthorized
from plant_analytics.security.principal import Principal, Role

T = TypeVar("T")
JWKS_MAX_AGE_SECONDS = 300
PROBLEM: dict[int | str, dict[str, Any]] = {
    code: {"content": {"application/problem+json": {}}, "description": text}
    for code, text in {
        400: "A body that cannot be read (not JSON, or not UTF-8)",
        401: "Not authenticated",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        422: "Invalid request",
        429: "Too many failed attempts from this client",
    }.items()
}


def get_auth_service(request: Request) -> AuthService:
    service = getattr(request.app.state, "auth_service", None)
    if not isinstance(service, AuthService):
        raise RuntimeError("the auth component is not started in this app (app.state.auth_service)")
    return service


Service = Annotated[AuthService, Depends(get_auth_service)]


def as_problem(exc: AuthError) -> Problem:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return Problem(exc.status, exc.detail, type_=exc.type_, headers=headers)


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except AuthError as exc:
        if exc.delay_seconds:
            await asyncio.sleep(exc.delay_seconds)  # slow down password guessing
        raise as_problem(exc) from None


def tokens(pair: TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
    )


def cookie_tokens(pair: TokenPair, response: Response, service: AuthService) -> TokenResponse:
    """The tokens of a browser session: the refresh token in its cookie, not in the body."""
    set_refresh_cookie(response, pair.refresh_token, service.settings.refresh_token_ttl_seconds)
    return tokens(pair).model_copy(update={"refresh_token": None})


def user_out(user: UserRow) -> UserOut:
    return UserOut(
        id=user.id,
        subject=user.subject,
        email=user.email,
        full_name=user.full_name,
        role=Role(user.role),
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        locked_until=user.locked_until,
    )


def api_key_out(row: ApiKeyRow, now: dt.datetime | None = None) -> ApiKeyOut:
    now = now or dt.datetime.now(dt.UTC)
    state: Literal["active", "expired", "revoked"] = "active"
    if row.revoked_at is not None:
        state = "revoked"
    elif row.expires_at is not None and row.expires_at <= now:
        state = "expired"
    return ApiKeyOut(
        id=row.id,
        prefix=f"{PREFIX}{row.id}",
        name=row.name,
        user_id=row.user_id,
        owner_email=row.owner_email,
        role=Role(row.role),
        status=state,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def client_address(request: Request) -> str:
    """Whom to count failed exchanges against: the TCP peer, and the last hop of
    X-Forwarded-For when there is one. Behind the gateway the peer is the gateway and the
    last hop is the client it saw (it appends it), so clients do not share one budget; a
    caller that forges the header only gets buckets of its own, under its own peer address
    (and the gateway's per-IP limit still applies to it)."""
    peer = request.client.host if request.client else "unknown"
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    last_hop = forwarded.rsplit(",", 1)[-1].strip()[:64]
    return f"{last_hop} via {peer}" if last_hop and last_hop != peer else peer


def forbidden(detail: str) -> Problem:
    return Problem(status.HTTP_403_FORBIDDEN, detail, type_="forbidden", title="Forbidden")


async def require_login_session(principal: RequireUser, request: Request) -> Principal:
    """The caller, when their token came from a login rather than from an API key: a leaked
    key must not be able to mint more keys that outlive its revocation."""
    token = bearer_token(request) or ""
    # The same token require_principal has just verified; only its amr claim is read here.
    claims = jwt.decode(token, options={"verify_signature": False})
    if AMR_API_KEY in (claims.get("amr") or ()):
        raise forbidden(
            "API keys can only be created from a login session, not with a token obtained "
            "from an API key: log in with POST /auth/login"
        )
    return principal


RequireLoginSession = Annotated[Principal, Depends(require_login_session)]
MAX_ID = 2**63 - 1  # the largest id both databases store: larger ones are a 422, not a 500
UserId = Annotated[int, Path(ge=0, le=MAX_ID, description="The user's id.")]
KeyId = Annotated[
    str,
    Path(
        pattern=KEY_ID_PATTERN,
        description="The key's id: the 16 hex characters after `pa_`.",
        examples=["3f9a1c0d5e7b2a46"],
    ),
]

router = APIRouter(prefix="/auth", tags=["auth"], responses=PROBLEM)


@router.post("/login", summary="Log in with email and password")
async def login(
    body: LoginRequest, service: Service, request: Request, response: Response
) -> TokenResponse:
    """Returns an access token (1 h) and a refresh token: in the body, or with
    `"refresh_token_in": "cookie"` (the dashboard) in an `HttpOnly` cookie that only
    `/auth/refresh` receives (docs/security.md, "Browser sessions"). Failures are answered
    after a growing delay; after repeated failures for an account, the client that failed
    waits (429, `Retry-After`) before trying that account again. Other clients are not
    affected, and the answer is the same whether or not the account exists."""
    pair = await call(
        service.login,
        body.email,
        body.password,
        request.headers.get("user-agent"),
        client_address(request),
    )
    if body.refresh_token_in == "cookie":  # noqa: S105 - where it goes, not a secret
        return cookie_tokens(pair, response, service)
    return tokens(pair)


def cookie_problem(status_code: int, detail: str, type_: str) -> Problem:
    """A refusal of a cookie session, which also clears the cookie."""
    return Problem(
        status_code, detail, type_=type_, headers={"Set-Cookie": cleared_refresh_cookie()}
    )


def session_cookie(request: Request) -> str:
    """The refresh token of the browser session's cookie, once the request passes the CSRF
    check (auth/cookies.py); a problem otherwise."""
    token = refresh_cookie(request)
    if token is None:
        raise Problem(
            status.HTTP_401_UNAUTHORIZED,
            'no refresh token: send {"refresh_token": …} in the body, or log in with '
            f'"refresh_token_in": "cookie" to get the {REFRESH_COOKIE} cookie',
            type_="invalid-refresh-token",
        )
    refusal = csrf_refusal(request)
    if refusal is not None:
        # Not cleared: a forged request must not be able to end the session either.
        raise forbidden(refusal)
    return token


OptionalRefresh = Annotated[
    RefreshRequest | None,
    Body(description="Scripts: the refresh token. Browsers: no body; the cookie is used."),
]
COOKIE_ROUTE_DOC = (
    f"Without a body, the refresh token is the session cookie ({REFRESH_COOKIE}, set by a "
    f'login with `"refresh_token_in": "cookie"`); such a request must send the header '
    f"`{CSRF_HEADER}` and come from the platform's own pages (`Sec-Fetch-Site: same-origin`, "
    "or an `Origin` of this host), else 403."
)


@router.post(
    "/refresh",
    summary="Exchange a refresh token for new tokens",
    description="Refresh tokens rotate: each works once. Showing a used one again revokes the "
    "session. With a refresh token in the body, the new one comes in the body. "
    + COOKIE_ROUTE_DOC
    + " The new refresh token then comes in the cookie only.",
)
async def refresh(
    service: Service, request: Request, response: Response, body: OptionalRefresh = None
) -> TokenResponse:
    agent = request.headers.get("user-agent")
    if body is not None:
        return tokens(await call(service.refresh, body.refresh_token, agent))
    token = session_cookie(request)
    try:
        pair = await run_in_threadpool(service.refresh, token, agent)
    except AuthError as exc:
        raise cookie_problem(exc.status, exc.detail, exc.type_) from None
    return cookie_tokens(pair, response, service)


@router.delete(
    "/refresh",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End the browser session (log out with the session cookie)",
    description="Revokes the session of the refresh cookie and clears the cookie: the "
    "dashboard's logout. " + COOKIE_ROUTE_DOC + " Scripts log out with `POST /auth/logout`.",
)
async def end_cookie_session(service: Service, request: Request) -> Response:
    token = session_cookie(request)
    await call(service.logout, token)
    return Response(
        status_code=status.HTTP_204_NO_CONTENT, headers={"Set-Cookie": cleared_refresh_cookie()}
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke the session")
async def logout(body: RefreshRequest, service: Service) -> Response:
    """Revokes the session of the refresh token in the body (scripts). The dashboard's
    sessions end with `DELETE /auth/refresh`."""
    await call(service.logout, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def current_user(principal: RequireUser, service: Service) -> UserRow:
    """The caller's account, found by the token's never-reused subject; 401 once the token
    is no longer theirs (deleted, disabled, password or role changed)."""
    try:
        return await run_in_threadpool(service.current_user, principal)
    except AuthError as exc:
        raise unauthorized(exc.detail) from None


CurrentUser = Annotated[UserRow, Depends(current_user)]


async def current_admin(_: RequireAdmin, user: CurrentUser) -> UserRow:
    """An admin by the token and by the account as stored now."""
    if user.role != Role.ADMIN:
        raise forbidden("this needs the admin role")
    return user


CurrentAdmin = Annotated[UserRow, Depends(current_admin)]


@router.get("/me", summary="The current user")
async def me(user: CurrentUser) -> UserOut:
    return user_out(user)


@router.get("/users", summary="List users (admin)")
async def list_users(_: CurrentAdmin, service: Service) -> UserList:
    return UserList(data=[user_out(u) for u in await call(service.list_users)])


@router.post("/users", status_code=status.HTTP_201_CREATED, summary="Create a user (admin)")
async def create_user(body: UserCreate, _: CurrentAdmin, service: Service) -> UserOut:
    return user_out(
        await call(service.create_user, body.email, body.password, body.role, body.full_name)
    )


@router.get("/users/{user_id}", summary="One user (admin)")
async def get_user(user_id: UserId, _: CurrentAdmin, service: Service) -> UserOut:
    return user_out(await call(service.get_user, user_id))


@router.patch("/users/{user_id}", summary="Change a user's role, password or status (admin)")
async def update_user(
    user_id: UserId, body: UserUpdate, _: CurrentAdmin, service: Service
) -> UserOut:
    """Changing the password, role or status also revokes the user's refresh tokens."""
    return user_out(
        await call(
            service.update_user,
            user_id,
            password=body.password,
            role=body.role,
            is_active=body.is_active,
            full_name=body.full_name,
        )
    )


@router.post("/users/{user_id}/unlock", summary="Clear a user's failed logins (admin)")
async def unlock_user(user_id: UserId, _: CurrentAdmin, service: Service) -> UserOut:
    return user_out(await call(service.unlock_user, user_id))


@router.delete(
    "/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a user (admin)"
)
async def delete_user(user_id: UserId, _: CurrentAdmin, service: Service) -> Response:
    await call(service.delete_user, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/token",
    summary="Exchange an API key for an access token",
    responses={429: {**PROBLEM[401], "description": "Too many failed exchanges"}},
    openapi_extra={"security": []},
)
async def exchange_api_key(
    body: ApiKeyExchange, service: Service, request: Request
) -> AccessTokenResponse:
    """For scripts, like an OAuth client-credentials grant: the API key (from
    `POST /auth/api-keys`) buys an access token (1 h, never past the key's expiry) for the
    key's owner, with the key's role or the owner's current role if that is lower. No refresh
    token: exchange the key again when the token expires. An invalid, revoked or expired key,
    or a disabled owner, is a 401; failures are slowed down, and too many from one address
    within a minute are refused with 429."""
    token = await call(service.exchange_api_key, body.api_key, client_address(request))
    return AccessTokenResponse(
        access_token=token.access_token, token_type=token.token_type, expires_in=token.expires_in
    )


@router.get("/api-keys", summary="List API keys (yours; admins: anyone's)")
async def list_api_keys(
    principal: RequireUser,
    caller: CurrentUser,
    service: Service,
    user_id: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Another user's keys (admin only).")
    ] = None,
    all_users: Annotated[
        bool, Query(alias="all", description="Every user's keys (admin only).")
    ] = False,
) -> ApiKeyList:
    """Revoked and expired keys are listed too (see `status`), newest first. Never the keys
    themselves: those are shown once, when made."""
    own = caller.id
    if (all_users or (user_id is not None and user_id != own)) and not principal.is_admin:
        raise forbidden("listing other users' API keys needs the admin role")
    owner = None if all_users else (user_id if user_id is not None else own)
    now = dt.datetime.now(dt.UTC)
    return ApiKeyList(data=[api_key_out(k, now) for k in await call(service.list_api_keys, owner)])


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, summary="Create an API key")
async def create_api_key(
    body: ApiKeyCreate, _: RequireLoginSession, caller: CurrentUser, service: Service
) -> ApiKeyCreated:
    """A key for scripts, owned by you: exchange it at `POST /auth/token`. The answer holds
    the key (`api_key`) this once; only its hash is kept. Its role is yours or lower. Needs a
    token from a login, not one obtained with an API key."""
    row, key = await call(service.create_api_key, caller.id, body.name, body.role, body.expires_at)
    return ApiKeyCreated(**api_key_out(row).model_dump(), api_key=key)


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key (yours; admins: anyone's)",
)
async def revoke_api_key(
    key_id: KeyId, principal: RequireUser, caller: CurrentUser, service: Service
) -> Response:
    """The key stops working at once for new exchanges; access tokens already obtained with it
    stay valid until they expire (at most an hour). Revoking a revoked key is not an error."""
    owner = None if principal.is_admin else caller.id
    await call(service.revoke_api_key, key_id, owner)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def get_keystore_dep(request: Request) -> KeyStore:
    return get_auth_service(request).keystore


well_known = APIRouter(tags=["auth"])


@well_known.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
async def jwks(
    keystore: Annotated[KeyStore, Depends(get_keystore_dep)], response: Response
) -> dict[str, list[dict[str, str]]]:
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
    return keystore.jwks()
