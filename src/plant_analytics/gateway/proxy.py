"""Forwarding to the auth and API services: pooled connections, responses streamed through.

Requests to the API are signed (security/gateway_signature.py), which is what lets the API
refuse anything that did not come this way.
"""

from __future__ import annotations

import logging

import httpx
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from plant_analytics.problems import problem_response
from plant_analytics.security.gateway_signature import signature_headers

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "host", "content-length",
})
log = logging.getLogger(__name__)


def new_client(max_connections: int = 200) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        limits=httpx.Limits(max_connections=max_connections,
                            max_keepalive_connections=max_connections),
        timeout=httpx.Timeout(60.0, connect=5.0),
        follow_redirects=False,
    )


class Upstream:
    def __init__(self, name: str, base_url: str, secret: bytes | None = None,
                 max_body_bytes: int = 64 * 1024 * 1024) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.secret = secret  # set: sign forwarded requests (the API)
        self.max_body_bytes = max_body_bytes

    async def forward(self, request: Request, client: httpx.AsyncClient) -> Response:
        request_id = request.scope.get("state", {}).get("request_id", "")
        path_qs = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        headers = [
            (k, v) for k, v in request.headers.items()
            if k not in HOP_BY_HOP and not k.startswith("x-pa-gateway-") and k != "x-request-id"
        ]
        client_host = request.client.host if request.client else ""
        previous = request.headers.get("x-forwarded-for")
        headers += [
            ("x-request-id", request_id),
            ("x-forwarded-for", f"{previous}, {client_host}" if previous else client_host),
            ("x-forwarded-proto", request.url.scheme),
            ("x-forwarded-host", request.headers.get("host", "")),
        ]
        body = await request.body()
        if len(body) > self.max_body_bytes:
            return problem_response(413, f"the request body exceeds {self.max_body_bytes} bytes")
        if self.secret is not None:
            headers += list(signature_headers(
                self.secret, request.method, path_qs, request_id, body,
                request.headers.get("authorization", "")).items())
        upstream = client.build_request(request.method, self.base_url + path_qs,
                                        headers=headers, content=body)
        try:
            response = await client.send(upstream, stream=True)
        except httpx.TimeoutException:
            log.warning("%s timed out", self.name)
            return problem_response(504, f"the {self.name} service did not answer in time",
                                    type_="upstream-timeout")
        except httpx.TransportError as exc:
            log.warning("%s unreachable at %s: %s", self.name, self.base_url, exc)
            return problem_response(
                502, f"the {self.name} service is not reachable; try again shortly",
                type_="upstream-unavailable")
        response_headers = [
            (k, v) for k, v in response.headers.multi_items()
            if k.lower() not in HOP_BY_HOP - {"content-length"} and k.lower() != "x-request-id"
        ]
        streamed = StreamingResponse(
            response.aiter_raw(), status_code=response.status_code,
            background=BackgroundTask(response.aclose),
        )
        streamed.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                for k, v in response_headers]
        return streamed
