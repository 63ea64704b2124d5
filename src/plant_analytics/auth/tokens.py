"""Issuing tokens: EdDSA access JWTs and opaque refresh tokens (stored only as a hash)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import jwt

from plant_analytics.auth.keys import KeyStore
from plant_analytics.security.tokens import ALGORITHM
from plant_analytics.settings import Settings

AMR_API_KEY = "api_key"


def issue_access_token(
    keystore: KeyStore,
    settings: Settings,
    *,
    subject: str,
    email: str,
    role: str,
    generation: int | None = None,
    now: dt.datetime | None = None,
    ttl_seconds: int | None = None,
    api_key_id: str | None = None,
) -> str:
    """An access token; ``subject`` is the user's never-reused UUID and ``generation`` their
    token generation (``gen``: verifiers refuse older ones); ``api_key_id`` marks one obtained
    with that API key (``amr``, ``client_id``), and ``ttl_seconds`` shortens it (never past
    the configured lifetime)."""
    issued = int((now or dt.datetime.now(dt.UTC)).timestamp())
    ttl = settings.access_token_ttl_seconds
    if ttl_seconds is not None:
        ttl = max(1, min(ttl, ttl_seconds))
    claims: dict[str, object] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "email": email,
        "role": role,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
    }
    if generation is not None:
        claims["gen"] = generation
    if api_key_id is not None:
        # RFC 8176 authentication method (a custom value) and RFC 9068's client_id: which
        # key obtained the token. Verifiers ignore both; they are for logs and auth itself.
        claims["amr"] = [AMR_API_KEY]
        claims["client_id"] = api_key_id
    return jwt.encode(
        claims,
        keystore.signing_key,
        algorithm=ALGORITHM,
        headers={"kid": keystore.signing_kid, "typ": "JWT"},
    )


def new_refresh_token() -> str:
    return "rt_" + secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """256 random bits need no slow hash: SHA-256 keeps a stolen table useless."""
    return hashlib.sha256(token.encode()).hexdigest()
