"""The gateway's guard, in front of the routes: token check for /api, rate limits, headers.

Pure ASGI. For ``/api/*`` the bearer token is verified here, so nothing unauthenticated
reaches the API (docs excepted); the principal found is kept on the request's state for the
log line and for ``require_principal`` in the same process. Limits apply per user (when a
valid token comes) and per IP, on ``/api/*`` and ``/auth/*``; login has its own tighter
per-IP budget on top of the account lockout.
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
        if token:
            try:
                principal = await self.verifier.verify(token)
            except InvalidTokenError as exc:
                if (
                    self.verify_api_tokens
                    and path.startswith("/api/")
                    and path not in PUBLIC_API_PATHS
                ):
                    await _send_problem(
                        send,
                        401,
                        str(exc),
                        "unauthorized",
                        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                    )
                    return
        elif self.verify_api_tokens and path.startswith("/api/") and path not in PUBLIC_API_PATHS:
            await _send_problem(
                send,
                401,
                "log in first: send Authorization: Bearer <access token> "
                "(POST /auth/login returns one)",
                "unauthorized",
                {"WWW-Authenticate": 'Bearer error="invalid_request"'},
            )
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

    async def _limit(self, scope: Scope, path: str, principal: Any) -> Decision:
        ip = (scope.get("client") or ("unknown",))[0]
        hits = [(f"ip:{ip}", self.limits.per_ip_per_minute)]
        if path in CREDENTIAL_PATHS and scope.get("method") == "POST":
            hits.append((f"login:{ip}", self.limits.login_per_ip_per_minute))
        if principal is not None:
            hits.append((f"user:{principal.subject}", self.limits.per_user_per_minute))
        decisions = await self.limiter.hit_many(hits)  # one Redis round trip for all
        refused = [d for d in decisions if not d.allowed]
        if refused:
            return max(refused, key=lambda d: d.reset_seconds)
        return min(decisions, key=lambda d: d.remaining)
