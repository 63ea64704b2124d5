"""Access-token verification: EdDSA (Ed25519) JWTs, keys found by ``kid`` in a JWKS.

Used by the API and the gateway, which hold no signing key: in one process (target ``all`` or
``auth``) the keys come straight from the key store; elsewhere from the auth service's
``/.well-known/jwks.json``, cached, and refetched (rate-limited) when an unknown ``kid`` shows
up, which is how a rotated-in key is picked up without a restart.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from plant_analytics.security.principal import Principal, Role
from plant_analytics.security.subjects import SubjectCheck, SubjectCheckUnavailableError

ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ("exp", "iat", "nbf", "iss", "aud", "sub", "jti")
CLOCK_SKEW_SECONDS = 30
log = logging.getLogger(__name__)


class InvalidTokenError(Exception):
    """The token is refused; the message says why, for the 401's detail."""


class TokenCheckUnavailableError(InvalidTokenError):
    """The token's account could not be checked (the database is down): refused for now."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    x = b64url(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))
    return {"kty": "OKP", "crv": "Ed25519", "x": x}


def key_id(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint: the kid follows from the key, nothing to store or keep in sync."""
    jwk = public_jwk(public_key)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


def jwk_entry(public_key: Ed25519PublicKey) -> dict[str, str]:
    return {**public_jwk(public_key), "kid": key_id(public_key), "use": "sig", "alg": ALGORITHM}


def keys_from_jwks(document: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for entry in document.get("keys", []):
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519" or "kid" not in entry:
            continue  # not a key we sign with; ignore rather than fail the whole set
        keys[entry["kid"]] = Ed25519PublicKey.from_public_bytes(_b64url_decode(entry["x"]))
    return keys


class KeySource(Protocol):
    async def public_key(self, kid: str) -> Ed25519PublicKey | None: ...

    def known_key(self, kid: str) -> Ed25519PublicKey | None:
        """What ``public_key`` returns when that needs no I/O (a fetch); None otherwise."""
        ...


class StaticKeys:
    """Keys held in this process (the auth key store)."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey]) -> None:
        self.keys = dict(keys)

    async def public_key(self, kid: str) -> Ed25519PublicKey | None:
        return self.keys.get(kid)

    def known_key(self, kid: str) -> Ed25519PublicKey | None:
        return self.keys.get(kid)


class RemoteJwks:
    """A JWKS fetched over HTTP and cached for ``ttl`` seconds."""

    def __init__(self, url: str, ttl: float = 300, min_refresh_interval: float = 10) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(self.url)
            response.raise_for_status()
            self._keys = keys_from_jwks(response.json())
            self._fetched_at = time.monotonic()

    def known_key(self, kid: str) -> Ed25519PublicKey | None:
        if kid in self._keys and time.monotonic() - self._fetched_at < self.ttl:
            return self._keys[kid]
        return None

    async def public_key(self, kid: str) -> Ed25519PublicKey | None:
        age = time.monotonic() - self._fetched_at
        if kid in self._keys and age < self.ttl:
            return self._keys[kid]
        if age < self.min_refresh_interval and self._fetched_at:
            return self._keys.get(kid)  # an unknown kid must not make us hammer the auth service
        async with self._lock:
            if time.monotonic() - self._fetched_at >= self.min_refresh_interval or not self._keys:
                try:
                    await self._refresh()
                except (httpx.HTTPError, ValueError) as exc:
                    log.warning("cannot fetch the JWKS from %s: %s", self.url, exc)
                    self._fetched_at = time.monotonic()  # back off; keep the keys we have
        return self._keys.get(kid)


class VerifiedTokenCache:
    """Tokens that verified, until they expire: the signature check costs ~0.1-0.3 ms.

    Bounded (least recently used out first). An entry is served only while

    * the clock is before the token's ``exp`` (no leeway: past it the token goes through the
      full check again, which applies the usual clock skew and refuses it once really
      expired), and
    * the key that verified it is still the one the key source returns for its ``kid`` (a
      key withdrawn from the JWKS stops its tokens as soon as the JWKS is refetched, as
      without the cache).

    Only verified tokens are stored; refused ones are checked in full every time. The
    verifier's subject check (security/subjects.py: the account still exists, is active and
    has the token's generation) runs on every use, cached or not: the cache saves Ed25519,
    never that check.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, str, object, Principal]] = OrderedDict()

    def get(self, token: str, now: float) -> tuple[str, object, Principal] | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        expires, kid, key, principal = entry
        if now >= expires:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return kid, key, principal

    def put(self, token: str, expires: float, kid: str, key: object, principal: Principal) -> None:
        self._entries[token] = (expires, kid, key, principal)
        self._entries.move_to_end(token)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def discard(self, token: str) -> None:
        self._entries.pop(token, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class TokenVerifier:
    """Verifies access tokens: signature, claims, and (with ``subjects``) that the account
    behind the token is still the one it was issued to, on every use."""

    def __init__(
        self,
        keys: KeySource,
        issuer: str,
        audience: str,
        *,
        cache_size: int = 10_000,
        subjects: SubjectCheck | None = None,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.cache = VerifiedTokenCache(cache_size) if cache_size > 0 else None
        self.subjects = subjects

    def _current(self, token: str, principal: Principal) -> Principal:
        """``principal`` when its account still holds the token; InvalidTokenError otherwise."""
        subjects = self.subjects
        if subjects is None:
            return principal
        try:
            reason = subjects.refusal(principal.subject, principal.generation)
        except SubjectCheckUnavailableError as exc:
            raise TokenCheckUnavailableError(str(exc)) from None
        if reason is not None:
            if self.cache is not None:
                self.cache.discard(token)
            raise InvalidTokenError(reason)
        return principal

    def cached(self, token: str) -> Principal | None:
        """The principal of ``token`` when the verified-token cache holds it and its key is
        the one the key source holds without a fetch: ``verify``'s answer, without awaiting
        anything (the subject check is a synchronous lookup). None: ask ``verify``, which
        refuses a token whose account no longer holds it."""
        cache = self.cache
        if cache is None:
            return None
        hit = cache.get(token, time.time())
        if hit is None:
            return None
        kid, key, principal = hit
        if self.keys.known_key(kid) is not key:
            return None
        try:
            return self._current(token, principal)
        except InvalidTokenError:
            return None

    async def verify(self, token: str) -> Principal:
        cache = self.cache
        if cache is not None:
            hit = cache.get(token, time.time())
            if hit is not None:
                kid, key, principal = hit
                if self.keys.known_key(kid) is key or await self.keys.public_key(kid) is key:
                    return self._current(token, principal)
                cache.discard(token)  # its key was withdrawn or replaced: check in full
        claims, kid, key = await self._verified(token)
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise InvalidTokenError("the token carries no valid role") from None
        email = claims.get("email")
        if not isinstance(email, str):
            raise InvalidTokenError("the token carries no email")
        generation = claims.get("gen")
        if generation is not None and (
            not isinstance(generation, int) or isinstance(generation, bool) or generation < 0
        ):
            raise InvalidTokenError("the token's generation (gen) is not a whole number")
        principal = Principal(
            subject=str(claims["sub"]), email=email, role=role, generation=generation
        )
        self._current(token, principal)
        exp = claims.get("exp")
        if cache is not None and isinstance(exp, int | float) and not isinstance(exp, bool):
            cache.put(token, float(exp), kid, key, principal)
        return principal

    async def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token`` (always checked in full, never cached)."""
        return (await self._verified(token))[0]

    async def _verified(self, token: str) -> tuple[dict[str, Any], str, Ed25519PublicKey]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidTokenError("the token is not a well-formed JWT") from None
        # Pin the algorithm: never let the token choose (alg=none, HS256 with a public key).
        if header.get("alg") != ALGORITHM:
            raise InvalidTokenError(
                f"tokens must be signed with {ALGORITHM}, not {header.get('alg')!r}"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidTokenError("the token has no key id (kid)")
        key = await self.keys.public_key(kid)
        if key is None:
            raise InvalidTokenError(f"the token's key {kid!r} is not one of the published keys")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidTokenError("the token has expired; refresh it or log in again") from None
        except jwt.InvalidAudienceError:
            raise InvalidTokenError("the token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise InvalidTokenError("the token is from another issuer") from None
        except jwt.ImmatureSignatureError:
            raise InvalidTokenError("the token is not valid yet") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidTokenError(f"the token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise InvalidTokenError("the token's signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(f"the token is invalid: {exc}") from None
        return claims, kid, key
