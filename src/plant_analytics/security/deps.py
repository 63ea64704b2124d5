"""FastAPI dependencies that authenticate the caller.

CONTRACT (other modules import these names): ``require_principal``, ``require_admin``,
``RequireUser``, ``RequireAdmin``. Tests of routes may override ``require_principal``
with ``app.dependency_overrides``.

How a token is checked depends on the process (``SecurityContext``): the server sets it on
``app.state.security`` (or process-wide with ``configure_security``); without one, the keys
come from this process's key store (the embedded ``all`` mode and tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, status
from sqlalchemy.engine import Engine

from plant_analytics.problems import Problem
from plant_analytics.security.principal import Principal
from plant_analytics.security.subjects import DatabaseSubjects, SubjectCheck
from plant_analytics.security.tokens import (
    InvalidTokenError,
    RemoteJwks,
    TokenCheckUnavailableError,
    TokenVerifier,
)
from plant_analytics.settings import Settings, get_settings


@dataclass
class SecurityContext:
    verifier: TokenVerifier
    # Target ``api`` alone: refuse what GatewaySignatureMiddleware did not verify.
    require_gateway_signature: bool = False


def database_engine(settings: Settings) -> Engine:
    """The engine the ``database`` component of a process with these settings uses."""
    from plant_analytics.db.engine import get_engine, make_engine

    if settings is get_settings():
        return get_engine()
    return make_engine(settings.resolved_database_url)


def local_security(settings: Settings, engine: Engine | None = None) -> SecurityContext:
    """Verify with the keys of this process's key store (auth runs in this process).

    Tokens are checked against the accounts (security/subjects.py) in ``engine``; without
    one, against the database of the auth service started in this process with this key
    store (``AuthService`` attaches it; targets ``all`` and ``auth``), and not at all in a
    process that starts none (a benchmark, the API's unit tests)."""
    from plant_analytics.auth.keys import get_keystore

    keystore = get_keystore(settings)
    subjects: SubjectCheck = DatabaseSubjects(engine) if engine is not None else keystore.subjects
    verifier = TokenVerifier(
        keystore.static_keys(), settings.jwt_issuer, settings.jwt_audience, subjects=subjects
    )
    return SecurityContext(verifier)


def remote_security(
    settings: Settings, require_gateway_signature: bool, engine: Engine | None = None
) -> SecurityContext:
    """Verify with the auth service's published JWKS (PA_AUTH_URL), cached.

    ``require_gateway_signature``: this is the API alone, which holds the database, so tokens
    are checked against the accounts there (``engine``, else the database component's). The
    gateway alone (False) holds no database: it forwards to auth and the API, which check."""

    jwks = RemoteJwks(
        settings.auth_url.rstrip("/") + "/.well-known/jwks.json",
        ttl=settings.jwks_cache_seconds,
    )
    if engine is None and require_gateway_signature:
        engine = database_engine(settings)
    subjects = DatabaseSubjects(engine) if engine is not None else None
    verifier = TokenVerifier(jwks, settings.jwt_issuer, settings.jwt_audience, subjects=subjects)
    return SecurityContext(verifier, require_gateway_signature=require_gateway_signature)


_process_context: SecurityContext | None = None


def configure_security(context: SecurityContext | None) -> None:
    """Set the context for apps that carry none on ``app.state.security``."""
    global _process_context
    _process_context = context


def security_context_of(app: Any) -> SecurityContext:
    """The context of ``app`` (``app.state.security``), else the process's."""
    global _process_context
    context = getattr(app.state, "security", None)
    if isinstance(context, SecurityContext):
        return context
    if _process_context is None:
        _process_context = local_security(get_settings())
    return _process_context


def security_context(request: Request) -> SecurityContext:
    return security_context_of(request.app)


def unauthorized(detail: str, error: str = "invalid_token") -> Problem:
    return Problem(
        status.HTTP_401_UNAUTHORIZED,
        detail,
        type_="unauthorized",
        title="Unauthorized",
        headers={"WWW-Authenticate": f'Bearer error="{error}"'},
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized(
            "the Authorization header must be: Bearer <access token>", "invalid_request"
        )
    return token.strip()


async def require_principal(request: Request) -> Principal:
    """The authenticated caller (a verified access token); 401 problem+json otherwise."""
    context = security_context(request)
    if context.require_gateway_signature and not request.scope.get("state", {}).get(
        "gateway_verified"
    ):
        raise unauthorized("this service only answers requests forwarded by the gateway")
    token = bearer_token(request)
    if token is None:
        raise unauthorized(
            "log in first: send Authorization: Bearer <access token> "
            "(POST /auth/login returns one)",
            "invalid_request",
        )
    try:
        principal = await context.verifier.verify(token)
    except TokenCheckUnavailableError as exc:
        raise Problem(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers={"Retry-After": "5"}
        ) from None
    except InvalidTokenError as exc:
        raise unauthorized(str(exc)) from None
    request.state.principal = principal  # for the request log line
    return principal


async def require_admin(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    if not principal.is_admin:
        raise Problem(
            status.HTTP_403_FORBIDDEN,
            "this needs the admin role",
            type_="forbidden",
            title="Forbidden",
        )
    return principal


RequireUser = Annotated[Principal, Depends(require_principal)]
RequireAdmin = Annotated[Principal, Depends(require_admin)]
