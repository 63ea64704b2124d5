"""The gateway's guard, in front of the routes: token check for /api, rate limits, headers.

Pure ASGI. For ``/api/*`` the bearer token is verified here, so nothing unauthenticated
reaches the API (docs excepted); the principal found is kept on the request's state for the
log line and for ``require_principal`` in the same process. Limits apply per user (when a
valid token comes) and per IP, on ``/api/*`` and ``/auth/*``; login has its own tighter
per-IP budget on top of the login throttle; ``/api`` requests without a valid token have one
too (401s, then 429); admins' ``Cache-Control: no-cache`` GETs have their own budget. The
client's address is the TCP peer, or the one a proxy of ``PA_TRUSTED_PROXIES`` forwarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plant_analytics.gateway.ratelimit import Decision, RateLimiter
from plant_analytics.problems import PROBLEM_JSON, problem_body
from plant_analytics.security.tokens import InvalidTokenError, TokenVerifier

PUBLIC_API_PATHS = frozenset(
    {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/redoc", "/api/v1/docs/oauth2-redirect"}
)
LIMITED_PREFIXES = ("/api/", "/auth/")
# Where credentials are guessed: a password (login) or an API key (exchanged for a token).
CREDENTIAL_PATHS = frozenset({"/auth/login", "/auth/token"})


@dataclass(frozen=True)
class Limits:
    per_user_per_minute: int = 600
    per_ip_per_minute: int = 1200
    login_per_ip_per_minute: int = 30
    anonymous_per_ip_per_minute: int = 60  # /api without a valid token: 401s, then 429
    no_cache_per_minute: int = 30  # an admin's GETs with Cache-Control: no-cache


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else ""
    return None


async def _send_problem(
    send: Send, status: int, detail: str, type_: str, headers: dict[str, str]
) -> None:
    payload = orjson.dumps(problem_body(status, detail, type_=type_))
    raw = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class GatewayMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        verifier: TokenVerifier,
        limiter: RateLimiter,
        limits: Limits,
        verify_api_tokens: bool = True,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.limiter = limiter
        self.limits = limits
        self.verify_api_tokens = verify_api_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        principal = None
        token = _bearer(scope)
        needs_token = (
            self.verify_api_tokens and path.startswith("/api/") and path not in PUBLIC_API_PATHS
        )
        refusal: tuple[str, str] | None = None  # (detail, WWW-Authenticate error)
        if token:
            try:
                principal = await self.verifier.verify(token)
            except InvalidTokenError as exc:
                if needs_token:
                    refusal = (str(exc), "invalid_token")
        elif needs_token:
            refusal = (
                "log in first: send Authorization: Bearer <access token> "
                "(POST /auth/login returns one)",
                "invalid_request",
            )
        if refusal is not None:
            await self._refuse_anonymous(scope, send, *refusal)
            return
        if principal is not None:
            state["principal"] = principal
            state["gateway_principal"] = principal

        decision = await self._limit(scope, path, principal)
        if not decision.allowed:
            headers = {**decision.headers(), "Retry-After": str(decision.reset_seconds)}
            who = "user" if principal is not None else "address"
            await _send_problem(
                send,
                429,
                f"too many requests from this {who}: at most {decision.limit} per "
                f"minute; retry in {decision.reset_seconds} s",
                "rate-limited",
                headers,
            )
            return

        extra = [(k.lower().encode(), v.encode()) for k, v in decision.headers().items()]

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_limits)

    async def _refuse_anonymous(self, scope: Scope, send: Send, detail: str, error: str) -> None:
        """A 401 for /api without a valid token, counted per client like a login: past the
        anonymous budget the client gets 429 instead (guessing tokens costs as much as
        guessing passwords, and 401s cost the gateway a verification each)."""
        ip = _client_ip(scope)
        decisions = await self.limiter.hit_many(
            [
                (f"ip:{ip}", self.limits.per_ip_per_minute),
                (f"anon:{ip}", self.limits.anonymous_per_ip_per_minute),
            ]
        )
        decision = _tightest(decisions)
        if not decision.allowed:
            await _send_problem(
                send,
                429,
                f"too many requests without a valid token from this address: at most "
                f"{decision.limit} per minute; retry in {decision.reset_seconds} s",
                "rate-limited",
                {**decision.headers(), "Retry-After": str(decision.reset_seconds)},
            )
            return
        await _send_problem(
            send,
            401,
            detail,
            "unauthorized",
            {**decision.headers(), "WWW-Authenticate": f'Bearer error="{error}"'},
        )

    async def _limit(self, scope: Scope, path: str, principal: Any) -> Decision:
        ip = _client_ip(scope)
        hits = [(f"ip:{ip}", self.limits.per_ip_per_minute)]
        if path in CREDENTIAL_PATHS and scope.get("method") == "POST":
            hits.append((f"login:{ip}", self.limits.login_per_ip_per_minute))
        if principal is not None:
            hits.append((f"user:{principal.subject}", self.limits.per_user_per_minute))
            if _asks_no_cache(scope, path) and principal.is_admin:
                # Only admins' no-cache is honoured (api/responses.py): it costs a query
                # each, so it has a budget of its own.
                hits.append((f"nocache:{principal.subject}", self.limits.no_cache_per_minute))
        decisions = await self.limiter.hit_many(hits)  # one Redis round trip for all
        return _tightest(decisions)


def _tightest(decisions: list[Decision]) -> Decision:
    refused = [d for d in decisions if not d.allowed]
    if refused:
        return max(refused, key=lambda d: d.reset_seconds)
    return min(decisions, key=lambda d: d.remaining)


def _client_ip(scope: Scope) -> str:
    """The client's address: the TCP peer, or what a trusted proxy said (server.guarded)."""
    return str((scope.get("client") or ("unknown",))[0])


def _asks_no_cache(scope: Scope, path: str) -> bool:
    if scope.get("method") != "GET" or not path.startswith("/api/"):
        return False
    return any(
        name == b"cache-control" and b"no-cache" in value.lower()
        for name, value in scope.get("headers", ())
    )
