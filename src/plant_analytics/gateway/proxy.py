"""Forwarding to the auth and API services: pooled keep-alive connections (gateway/upstream.py),
small answers passed on whole, large or slow ones streamed through.

Requests to the API are signed (security/gateway_signature.py), which is what lets the API
refuse anything that did not come this way.
"""

from __future__ import annotations

import logging

from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from plant_analytics.gateway.upstream import UpstreamClient, UpstreamError, UpstreamTimeoutError
from plant_analytics.problems import problem_response
from plant_analytics.security.gateway_signature import signature_headers

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
_HOP_BY_HOP_BYTES = frozenset(name.encode() for name in HOP_BY_HOP)
_FORWARDED_BYTES = frozenset(
    {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded"}
)
_RESPONSE_DROPPED = frozenset(
    {name.encode() for name in HOP_BY_HOP - {"content-length"}} | {b"x-request-id"}
)
log = logging.getLogger(__name__)


def new_client(max_connections: int = 200) -> UpstreamClient:
    return UpstreamClient(max_connections=max_connections, connect_timeout=5.0, read_timeout=60.0)


class Upstream:
    def __init__(
        self,
        name: str,
        base_url: str,
        secret: bytes | None = None,
        max_body_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.secret = secret  # set: sign forwarded requests (the API)
        self.max_body_bytes = max_body_bytes

    async def forward(self, request: Request, client: UpstreamClient) -> Response:
        scope = request.scope
        request_id = scope.get("state", {}).get("request_id", "")
        path = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        path_qs = path + (f"?{query}" if query else "")
        method = scope["method"]
        headers: list[tuple[str, str]] = []
        authorization = None
        host = ""
        for raw_name, raw_value in scope["headers"]:
            if raw_name in _FORWARDED_BYTES:
                continue  # the client's own claims: replaced below by what the gateway knows
            if raw_name == b"host":
                host = raw_value.decode("latin-1")
                continue
            if raw_name == b"authorization" and authorization is None:
                authorization = raw_value.decode("latin-1")
            if (
                raw_name in _HOP_BY_HOP_BYTES
                or raw_name == b"x-request-id"
                or raw_name.startswith(b"x-pa-gateway-")
            ):
                continue
            headers.append((raw_name.decode("latin-1"), raw_value.decode("latin-1")))
        # The client as resolved at the gateway: its TCP peer, or what a proxy of
        # PA_TRUSTED_PROXIES said (server.guarded); a client's own X-Forwarded-For is not
        # passed on.
        client_host = request.client.host if request.client else ""
        headers += [
            ("x-request-id", request_id),
            ("x-forwarded-for", client_host),
            ("x-forwarded-proto", scope.get("scheme", "http")),
            ("x-forwarded-host", host),
        ]
        body = await request.body()
        if len(body) > self.max_body_bytes:
            return problem_response(413, f"the request body exceeds {self.max_body_bytes} bytes")
        if self.secret is not None:
            headers += list(
                signature_headers(
                    self.secret, method, path_qs, request_id, body, authorization or ""
                ).items()
            )
        try:
            response = await client.request(method, self.base_url + path_qs, headers, body)
        except UpstreamTimeoutError:
            log.warning("%s timed out", self.name)
            return problem_response(
                504, f"the {self.name} service did not answer in time", type_="upstream-timeout"
            )
        except UpstreamError as exc:
            log.warning("%s unreachable at %s: %s", self.name, self.base_url, exc)
            return problem_response(
                502,
                f"the {self.name} service is not reachable; try again shortly",
                type_="upstream-unavailable",
            )
        raw_headers = [(k, v) for k, v in response.headers if k not in _RESPONSE_DROPPED]
        if response.body is not None:
            answer = Response(status_code=response.status)
            if (
                response.status >= 200
                and response.status not in (204, 304)
                and not any(k == b"content-length" for k, _ in raw_headers)
            ):
                raw_headers.append((b"content-length", str(len(response.body)).encode()))
            answer.body = response.body
            answer.raw_headers = raw_headers
            return answer
        assert response.stream is not None
        streamed = StreamingResponse(
            response.stream,
            status_code=response.status,
            background=BackgroundTask(response.aclose),
        )
        streamed.raw_headers = raw_headers
        return streamed
