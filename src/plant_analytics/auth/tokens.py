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


def issue_access_token(
    keystore: KeyStore,
    settings: Settings,
    *,
    subject: str,
    email: str,
    role: str,
    now: dt.datetime | None = None,
) -> str:
    issued = int((now or dt.datetime.now(dt.UTC)).timestamp())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "email": email,
        "role": role,
        "iat": issued,
        "nbf": issued,
        "exp": issued + settings.access_token_ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
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
