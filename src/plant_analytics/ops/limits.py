"""Request body limits for every target: a 413 problem+json before the body is read.

``BodyLimitMiddleware`` wraps each target's whole app (server.build_app), outside every other
middleware, so nothing (the gateway's forwarding, the API's signature check, FastAPI's body
parsing, the upload parser) reads more than the route allows:

- a ``Content-Length`` above the limit is refused at once, without reading a byte;
- a body without one (chunked) is counted as it streams in and cut at the limit: the 413
  is sent then, the app's reads end as a disconnect, and whatever it sends afterwards is
  dropped.

The limit is per route: ``max_body_bytes`` (64 KiB by default, for JSON) everywhere, and the
upload limit (``PA_MAX_UPLOAD_BYTES`` plus the multipart framing) for the upload route.
Starlette's own ``RequestBodyLimitMiddleware`` does the counting inside the FastAPI app only
(our outer middleware, such as the gateway signature check, reads bodies before it) and
answers in plain text, hence this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plant_analytics.problems import PROBLEM_JSON, problem_body

# The upload route's multipart framing (boundaries, part headers, form fields) on top of
# the file itself (pipeline/api.py checks the file's own size as it spools).
MULTIPART_OVERHEAD_BYTES = 64 * 1024
UPLOAD_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/api/v1/ingestions"),
    ("POST", "/api/v1/emissions/estimate"),  # a sites file (api/routers/emissions.py)
)


@dataclass(frozen=True)
class RouteLimit:
    method: str
    path: str  # exact path, or a prefix ending with "/"
    max_bytes: int

    def matches(self, method: str, path: str) -> bool:
        if method != self.method:
            return False
        if self.path.endswith("/"):
            return path.startswith(self.path)
        return path == self.path or path == self.path + "/"


def route_limits(max_upload_bytes: int) -> list[RouteLimit]:
    """The routes allowed more than the default: the uploads."""
    return [
        RouteLimit(method, path, max_upload_bytes + MULTIPART_OVERHEAD_BYTES)
        for method, path in UPLOAD_ROUTES
    ]


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` once a streamed body passes its limit (after the 413 was
    sent). An HTTP error, so that an app's exception handlers answer it as one (the answer
    is dropped) rather than log it as a crash."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body passed this route's limit of {limit:,} bytes")


def _problem(limit: int, declared: int | None) -> tuple[Message, Message]:
    size = f"{declared:,} bytes" if declared is not None else "more"
    detail = (
        f"the request body is {size}; this route accepts at most {limit:,} bytes"
        if declared is not None
        else f"the request body passed this route's limit of {limit:,} bytes"
    )
    body = orjson.dumps(
        problem_body(
            413, detail, type_="body-too-large", title="Content Too Large", limit_bytes=limit
        )
    )
    return (
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        },
        {"type": "http.response.body", "body": body},
    )


def _content_length(scope: Scope) -> int | str | None:
    """The declared length; ``"bad"`` for a value that is not a length (several values too)."""
    found: int | None = None
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            if found is not None or not value.strip().isdigit():
                return "bad"
            found = int(value)
    return found


def _has_transfer_encoding(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope.get("headers", ()))


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, max_body_bytes: int, routes: Sequence[RouteLimit] = ()
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.routes = tuple(routes)

    def limit_for(self, method: str, path: str) -> int:
        for route in self.routes:
            if route.matches(method, path):
                return route.max_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared == "bad":
            await self._refuse_bad_length(send)
            return
        assert not isinstance(declared, str)
        if declared is not None and declared > limit:
            start, body = _problem(limit, declared)
            await send(start)
            await send(body)
            return
        if declared is not None or not _has_transfer_encoding(scope):
            # The server stops at the declared length; without either header there is no
            # body (RFC 9112, 6.3): nothing to count.
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        start, body = _problem(limit, None)
                        await send(start)
                        await send(body)
                    raise BodyTooLargeError(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent: the app's own answer is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The app failed on the cut body (BodyTooLargeError or what it made of it): the
            # 413 has been answered already.

    @staticmethod
    async def _refuse_bad_length(send: Send) -> None:
        payload: dict[str, Any] = problem_body(
            400, "Content-Length is not a single number of bytes", type_="bad-request"
        )
        body = orjson.dumps(payload)
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
