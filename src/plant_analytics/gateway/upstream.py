"""The gateway's HTTP client for its hops to auth and the API, on aiohttp.

Why aiohttp rather than httpx: on this hop httpx's async pool cost about 1.3 ms per request
with one request in flight and degraded with concurrency (64 in flight: about 100 req/s in
total), which made the gateway the bottleneck of the microservices mode. aiohttp's client
keeps a pool of keep-alive connections per upstream, parses responses in C and holds up
under concurrency (docs/benchmarks.md, "through the gateway").

Small answers (the usual case) are read whole before the gateway answers; large or
unsized ones are passed on as a stream. Bodies are passed on as received: no decompression.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

READ_SIZE = 65536
WHOLE_BODY_BYTES = 256 * 1024  # bodies up to this size are read whole before answering


class UpstreamError(Exception):
    """The upstream could not be reached, or broke the exchange."""


class UpstreamTimeoutError(UpstreamError):
    """The upstream did not answer in time."""


@dataclass
class UpstreamResponse:
    status: int
    headers: list[tuple[bytes, bytes]]  # as received, names lower-cased
    body: bytes | None  # the whole body, or None when it comes through ``stream``
    stream: AsyncIterator[bytes] | None = None
    _response: aiohttp.ClientResponse | None = None

    async def aclose(self) -> None:
        if self._response is not None:
            self._response.release()


class UpstreamClient:
    """Keep-alive connections to the upstreams, at most ``max_connections`` to each."""

    def __init__(
        self, max_connections: int = 200, connect_timeout: float = 5.0, read_timeout: float = 60.0
    ) -> None:
        self.max_connections = max_connections
        self.timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        # Created on first use, inside the event loop that serves the gateway.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.max_connections, limit_per_host=self.max_connections
                ),
                timeout=self.timeout,
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def request(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes = b""
    ) -> UpstreamResponse:
        """Send one request; the answer whole when it is small and sized, else streamed."""
        try:
            response = await self._get_session().request(
                method, url, headers=headers, data=body or None, allow_redirects=False
            )
        except TimeoutError as exc:
            raise UpstreamTimeoutError("the upstream did not answer in time") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise UpstreamError(f"cannot reach the upstream: {exc}") from exc
        raw = [(name.lower(), value) for name, value in response.raw_headers]
        length = response.content_length
        if method == "HEAD" or response.status in (204, 304):
            response.release()
            return UpstreamResponse(response.status, raw, b"")
        if length is not None and length <= WHOLE_BODY_BYTES:
            try:
                body_bytes = await response.read()
            except TimeoutError as exc:
                raise UpstreamTimeoutError("the upstream did not finish its answer") from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise UpstreamError(f"the upstream broke the connection: {exc}") from exc
            finally:
                response.release()
            return UpstreamResponse(response.status, raw, body_bytes)
        return UpstreamResponse(
            response.status, raw, None, stream=_chunks(response), _response=response
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _chunks(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.content.iter_chunked(READ_SIZE):
            yield chunk
    finally:
        response.release()
