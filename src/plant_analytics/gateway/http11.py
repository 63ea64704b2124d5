"""A small HTTP/1.1 client for the gateway's hops to auth and the API: keep-alive, pooled.

Why not httpx: on this hop its async pool costs about 1.3 ms per request with one request
in flight and degrades with concurrency (64 in flight: ~100 req/s in total, every request
waiting on the pool's bookkeeping), which made the gateway the bottleneck of the
microservices mode. The upstreams are our own services on a private network, spoken to in
plain HTTP/1.1, so this needs little: a pool of keep-alive connections per upstream, the
request written in one go, the response parsed by ``httptools`` (llhttp, the parser uvicorn
uses: chunked and Content-Length bodies, keep-alive rules) and handed back either whole
(small, the usual case) or as a stream of chunks (exports, anything large or slow).

A request that fails on a *reused* connection before any byte of the answer came back
(the upstream closed an idle keep-alive connection at the same moment) is sent once more on
a fresh connection; the gateway signature's nonce makes a duplicate harmless (the API
refuses a replay).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

READ_SIZE = 65536
WHOLE_BODY_BYTES = 256 * 1024  # bodies up to this size are read whole before answering
IDLE_SECONDS = 4.0  # under uvicorn's keep-alive timeout (5 s): never reuse a closing one


class UpstreamError(Exception):
    """The upstream could not be reached, or broke the connection."""


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer in time."""


class _Parsing:
    """httptools callbacks: the status, headers and body chunks of one response."""

    __slots__ = ("headers", "chunks", "headers_done", "complete", "keep_alive", "parser")

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()  # only valid at this point


@dataclass(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        self.writer.close()


@dataclass
class UpstreamResponse:
    status: int
    headers: list[tuple[bytes, bytes]]  # as received, names lower-cased
    body: bytes | None  # the whole body, or None when it comes through ``stream``
    stream: AsyncIterator[bytes] | None = None

    async def aclose(self) -> None:
        if self.stream is not None:
            await self.stream.aclose()  # type: ignore[attr-defined]


class Http11Pool:
    """Keep-alive connections to HTTP/1.1 upstreams, at most ``max_connections`` open each."""

    def __init__(self, max_connections: int = 200, connect_timeout: float = 5.0,
                 read_timeout: float = 60.0) -> None:
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._slots: dict[tuple[str, int], asyncio.Semaphore] = {}
        self._closed = False

    # -- connections ----------------------------------------------------------------------

    def _slot(self, origin: tuple[str, int]) -> asyncio.Semaphore:
        slot = self._slots.get(origin)
        if slot is None:
            slot = self._slots[origin] = asyncio.Semaphore(self.max_connections)
        return slot

    def _take_idle(self, origin: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # most recently used first: warm, least likely closed
            if now - conn.idle_since < IDLE_SECONDS and not conn.reader.at_eof() \
                    and not conn.writer.is_closing():
                return conn
            conn.close()
        return None

    def _put_idle(self, origin: tuple[str, int], conn: _Connection) -> None:
        if self._closed:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self._idle.setdefault(origin, []).append(conn)

    async def _connect(self, origin: tuple[str, int]) -> _Connection:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(origin[0], origin[1], limit=READ_SIZE * 4),
                self.connect_timeout)
        except TimeoutError as exc:
            raise UpstreamTimeout(f"connecting to {origin[0]}:{origin[1]} timed out") from exc
        except OSError as exc:
            raise UpstreamError(f"cannot connect to {origin[0]}:{origin[1]}: {exc}") from exc
        return _Connection(reader, writer)

    # -- requests -------------------------------------------------------------------------

    async def request(self, method: str, url: str, headers: list[tuple[str, str]],
                      body: bytes = b"") -> UpstreamResponse:
        """Send one request; the answer whole when it is small and complete, else streamed."""
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        port = parts.port or 80
        origin = (host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = [f"{method} {target} HTTP/1.1\r\nhost: {parts.netloc}\r\n"]
        for name, value in headers:
            head.append(f"{name}: {value}\r\n")
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            head.append(f"content-length: {len(body)}\r\n")
        head.append("\r\n")
        payload = "".join(head).encode("latin-1") + body

        slot = self._slot(origin)
        await slot.acquire()
        try:
            conn = self._take_idle(origin)
            reused = conn is not None
            if conn is None:
                conn = await self._connect(origin)
            try:
                return await self._exchange(origin, conn, payload, method, slot)
            except _RetryableError:
                if not reused:
                    raise UpstreamError("the upstream closed the connection") from None
                conn = await self._connect(origin)
                try:
                    return await self._exchange(origin, conn, payload, method, slot)
                except _RetryableError:
                    raise UpstreamError("the upstream closed the connection") from None
        except BaseException:
            slot.release()
            raise

    async def _exchange(self, origin: tuple[str, int], conn: _Connection, payload: bytes,
                        method: str, slot: asyncio.Semaphore) -> UpstreamResponse:
        """Write the request, read the head (and the body when small); on success the slot
        is released by the returned response (at once, or at the end of its stream)."""
        parsing = _Parsing()
        received = 0
        try:
            conn.writer.write(payload)
            await conn.writer.drain()
            size = 0
            while not parsing.complete:
                if parsing.headers_done and (method == "HEAD" or size > WHOLE_BODY_BYTES):
                    break
                data = await asyncio.wait_for(conn.reader.read(READ_SIZE), self.read_timeout)
                if not data:
                    if received == 0:
                        raise _RetryableError
                    raise UpstreamError("the upstream closed the connection mid-answer")
                received += len(data)
                parsing.parser.feed_data(data)
                size = sum(len(c) for c in parsing.chunks) if parsing.headers_done else 0
        except _RetryableError:
            conn.close()
            raise
        except (ConnectionError, BrokenPipeError) as exc:
            conn.close()
            if received == 0:
                raise _RetryableError from exc
            raise UpstreamError(f"the upstream broke the connection: {exc}") from exc
        except TimeoutError as exc:
            conn.close()
            raise UpstreamTimeout("the upstream did not answer in time") from exc
        except httptools.HttpParserError as exc:
            conn.close()
            raise UpstreamError(f"the upstream's answer is not valid HTTP: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        status = parsing.parser.get_status_code()
        headers = [(name.lower(), value) for name, value in parsing.headers]
        if method == "HEAD":
            conn.close()  # llhttp cannot tell a HEAD answer has no body: do not reuse
            slot.release()
            return UpstreamResponse(status, headers, b"")
        if parsing.complete:
            if parsing.keep_alive:
                self._put_idle(origin, conn)
            else:
                conn.close()
            slot.release()
            return UpstreamResponse(status, headers, b"".join(parsing.chunks))
        return UpstreamResponse(status, headers, None,
                                self._rest(origin, conn, parsing, slot))

    async def _rest(self, origin: tuple[str, int], conn: _Connection, parsing: _Parsing,
                    slot: asyncio.Semaphore) -> AsyncIterator[bytes]:
        """The body of a large or slow answer, chunk by chunk, as it comes."""
        finished = False
        try:
            while True:
                if parsing.chunks:
                    chunks, parsing.chunks = parsing.chunks, []
                    for chunk in chunks:
                        yield chunk
                if parsing.complete:
                    finished = True
                    break
                data = await asyncio.wait_for(conn.reader.read(READ_SIZE), self.read_timeout)
                if not data:
                    raise UpstreamError("the upstream closed the connection mid-answer")
                parsing.parser.feed_data(data)
        finally:
            if finished and parsing.keep_alive:
                self._put_idle(origin, conn)
            else:
                conn.close()
            slot.release()

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


class _RetryableError(Exception):
    """Nothing came back on this connection: the request may be sent again on a new one."""
