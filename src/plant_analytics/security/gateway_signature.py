"""Proof that a request came through the gateway: an HMAC-SHA256 signature over the request.

The gateway signs every request it forwards to the API with ``PA_INTERNAL_SECRET``; the API
(target ``api``) refuses anything unsigned, badly signed, older than the allowed window, or
already seen. The signed string binds the method, the path and query, the time, the request
id, the SHA-256 of the body and of the ``Authorization`` header, so a captured signature is
useless for any other request and, after the window, for that one too. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

VERSION = "v1"
SIGNATURE_HEADER = "x-pa-gateway-signature"
TIMESTAMP_HEADER = "x-pa-gateway-timestamp"
NONCE_HEADER = "x-pa-gateway-nonce"
REQUEST_ID_HEADER = "x-request-id"
EXEMPT_PATHS = frozenset({"/health", "/ready", "/metrics"})  # probes and scrapes hit the pod
MAX_BODY_BYTES = 64 * 1024 * 1024
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def canonical_string(
    method: str,
    path_qs: str,
    timestamp: str,
    nonce: str,
    request_id: str,
    body_sha256: str,
    authorization: str,
) -> bytes:
    auth_sha256 = hashlib.sha256(authorization.encode("latin-1")).hexdigest()
    return "\n".join(
        (VERSION, method.upper(), path_qs, timestamp, nonce, request_id, body_sha256, auth_sha256)
    ).encode("latin-1")


def sign(
    secret: bytes,
    method: str,
    path_qs: str,
    timestamp: str,
    nonce: str,
    request_id: str,
    body_sha256: str,
    authorization: str,
) -> str:
    message = canonical_string(
        method, path_qs, timestamp, nonce, request_id, body_sha256, authorization
    )
    return f"{VERSION}=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


def signature_headers(
    secret: bytes,
    method: str,
    path_qs: str,
    request_id: str,
    body: bytes,
    authorization: str,
    now: float | None = None,
) -> dict[str, str]:
    """The headers the gateway adds to a forwarded request."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    body_sha256 = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    return {
        SIGNATURE_HEADER: sign(
            secret, method, path_qs, timestamp, nonce, request_id, body_sha256, authorization
        ),
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        REQUEST_ID_HEADER: request_id,
    }


class ReplayCache:
    """Nonces seen within the window: each signed request is accepted once."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, nonce: str, expires_at: float, now: float) -> bool:
        while self._seen and (
            next(iter(self._seen.values())) < now or len(self._seen) >= self.max_entries
        ):
            self._seen.popitem(last=False)
        if nonce in self._seen:
            return False
        self._seen[nonce] = expires_at
        return True


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return ""


class GatewaySignatureMiddleware:
    """Refuse (401 problem+json) every request to the wrapped app that the gateway did not sign.

    Marks accepted requests with ``scope["state"]["gateway_verified"] = True``, which
    ``require_principal`` also insists on when the API runs as its own target.
    """

    def __init__(self, app: ASGIApp, secret: bytes, max_age_seconds: int = 30) -> None:
        if not secret:
            raise ValueError("the gateway signature needs a non-empty PA_INTERNAL_SECRET")
        self.app = app
        self.secret = secret
        self.max_age = max_age_seconds
        self.replays = ReplayCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", ())
        signature = _header(headers, SIGNATURE_HEADER.encode())
        timestamp = _header(headers, TIMESTAMP_HEADER.encode())
        nonce = _header(headers, NONCE_HEADER.encode())
        if not signature or not timestamp or len(nonce) < 16:
            await _refuse(
                send,
                "this service only answers requests forwarded by the gateway; "
                "call it through the gateway",
            )
            return
        now = time.time()
        try:
            age = now - int(timestamp)
        except ValueError:
            age = float("inf")
        if abs(age) > self.max_age:
            await _refuse(
                send,
                "the gateway signature is outside the allowed time window "
                f"({self.max_age} s); check the clocks of gateway and API",
            )
            return
        body, receive = await _buffer_body(receive)
        if body is None:
            await _refuse(send, "request body too large", status=413)
            return
        path_qs = scope["path"] + (
            f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else ""
        )
        expected = sign(
            self.secret,
            scope["method"],
            path_qs,
            timestamp,
            nonce,
            _header(headers, REQUEST_ID_HEADER.encode()),
            hashlib.sha256(body).hexdigest(),
            _header(headers, b"authorization"),
        )
        if not hmac.compare_digest(expected, signature):
            await _refuse(send, "the gateway signature does not match this request")
            return
        if not self.replays.first_time(nonce, now + 2 * self.max_age, now):
            await _refuse(send, "this signed request was already served (replay)")
            return
        scope.setdefault("state", {})["gateway_verified"] = True
        await self.app(scope, receive, send)


async def _buffer_body(receive: Receive) -> tuple[bytes | None, Receive]:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # http.disconnect, when it comes

    return body, replay


async def _refuse(send: Send, detail: str, status: int = 401) -> None:
    body: dict[str, Any] = {
        "type": "https://plant-analytics.dev/problems/not-through-gateway",
        "title": "Request not from the gateway" if status == 401 else "Payload Too Large",
        "status": status,
        "detail": detail,
    }
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
