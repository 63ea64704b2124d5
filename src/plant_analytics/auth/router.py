"""Auth routes: thin. Parse, authorise, call the service in a thread, shape the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from plant_analytics.auth.keys import KeyStore
from plant_analytics.auth.repository import UserRow
from plant_analytics.auth.schemas import (
    LoginRequest,
    RefreshRequest,
    TokenResponse,
    UserCreate,
    UserList,
    UserOut,
    UserUpdate,
)
from plant_analytics.auth.service import AuthError, AuthService, TokenPair
from plant_analytics.problems import Problem
from plant_analytics.security.deps import RequireAdmin, RequireUser, unauthorized
from plant_analytics.security.principal import Role

T = TypeVar("T")
JWKS_MAX_AGE_SECONDS = 300
PROBLEM: dict[int | str, dict[str, Any]] = {
    code: {"content": {"application/problem+json": {}}, "description": text}
    for code, text in {
        401: "Not authenticated",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        422: "Invalid request",
        423: "Account locked",
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


def user_out(user: UserRow) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=Role(user.role),
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        locked_until=user.locked_until,
    )


router = APIRouter(prefix="/auth", tags=["auth"], responses=PROBLEM)


@router.post("/login", summary="Log in with email and password")
async def login(body: LoginRequest, service: Service, request: Request) -> TokenResponse:
    """Returns an access token (1 h) and a refresh token. Repeated failures are slowed, then
    the account locks (423) for a while."""
    return tokens(
        await call(service.login, body.email, body.password, request.headers.get("user-agent"))
    )


@router.post("/refresh", summary="Exchange a refresh token for new tokens")
async def refresh(body: RefreshRequest, service: Service, request: Request) -> TokenResponse:
    """Refresh tokens rotate: each works once. Showing a used one again revokes the session."""
    return tokens(
        await call(service.refresh, body.refresh_token, request.headers.get("user-agent"))
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke the session")
async def logout(body: RefreshRequest, service: Service) -> Response:
    await call(service.logout, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", summary="The current user")
async def me(principal: RequireUser, service: Service) -> UserOut:
    try:
        user = await call(service.get_user, int(principal.subject))
    except Problem:
        raise unauthorized("this account no longer exists") from None
    if not user.is_active:
        raise unauthorized("this account is disabled")
    return user_out(user)


@router.get("/users", summary="List users (admin)")
async def list_users(_: RequireAdmin, service: Service) -> UserList:
    return UserList(data=[user_out(u) for u in await call(service.list_users)])


@router.post("/users", status_code=status.HTTP_201_CREATED, summary="Create a user (admin)")
async def create_user(body: UserCreate, _: RequireAdmin, service: Service) -> UserOut:
    return user_out(
        await call(service.create_user, body.email, body.password, body.role, body.full_name)
    )


@router.get("/users/{user_id}", summary="One user (admin)")
async def get_user(user_id: int, _: RequireAdmin, service: Service) -> UserOut:
    return user_out(await call(service.get_user, user_id))


@router.patch("/users/{user_id}", summary="Change a user's role, password or status (admin)")
async def update_user(user_id: int, body: UserUpdate, _: RequireAdmin, service: Service) -> UserOut:
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


@router.post("/users/{user_id}/unlock", summary="Lift a lockout (admin)")
async def unlock_user(user_id: int, _: RequireAdmin, service: Service) -> UserOut:
    return user_out(await call(service.unlock_user, user_id))


@router.delete(
    "/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a user (admin)"
)
async def delete_user(user_id: int, _: RequireAdmin, service: Service) -> Response:
    await call(service.delete_user, user_id)
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
