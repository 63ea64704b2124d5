"""Connection-level limits uvicorn does not have: header and body read timeouts, a cap on
connections per client, and a cap on the size of a request head.

uvicorn times out only idle keep-alive connections *after* a response (its keep-alive timer
is armed in ``on_response_complete`` and cancelled by any byte received), so a client that
connects and sends nothing, or trickles its headers a byte at a time (slowloris), holds a
connection for ever; ASGI middleware cannot help, it only runs once the head is complete.
``GuardedHttpToolsProtocol`` is uvicorn's httptools protocol with:

- a deadline for the request head, from the connection (first request) or the first byte of
  the next request on a kept-alive connection: ``408`` and the connection closed;
- an idle timeout while the body is sent (the longest pause between two reads; not while
  uvicorn itself has paused reading because the app is busy): ``408``, closed;
- at most ``max_header_bytes`` of request head: ``431``, closed;
- at most ``max_per_client`` open connections per client address: further ones get ``503``
  and are closed at once.

``limit_concurrency`` (uvicorn's, ``PA_MAX_CONNECTIONS``) caps the process as a whole.
``protocol_class`` binds the limits to a subclass (uvicorn creates one instance per
connection from ``Config.http``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

_HEAD, _BODY, _RESPONSE = 0, 1, 2


def _status(code: int, reason: str) -> bytes:
    return (
        f"HTTP/1.1 {code} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(reason)}\r\nconnection: close\r\n\r\n{reason}"
    ).encode("ascii")


REQUEST_TIMEOUT = _status(408, "Request Timeout")
HEADERS_TOO_LARGE = _status(431, "Request Header Fields Too Large")
TOO_MANY_CONNECTIONS = _status(503, "Too many connections from this address")


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    header_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 30.0
    max_header_bytes: ClassVar[int] = 64 * 1024
    max_per_client: ClassVar[int] = 256
    open_per_client: ClassVar[Counter[str]] = Counter()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._phase = _HEAD
        self._head_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._counted_as: str | None = None

    # -- connection --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else None
        if address is not None:
            if self.open_per_client[address] >= self.max_per_client:
                log.warning("refused a connection from %s: %d open", address, self.max_per_client)
                self._refuse(TOO_MANY_CONNECTIONS)
                return
            self.open_per_client[address] += 1
            self._counted_as = address
        self._arm(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._counted_as is not None:
            left = self.open_per_client[self._counted_as] - 1
            if left > 0:
                self.open_per_client[self._counted_as] = left
            else:
                del self.open_per_client[self._counted_as]
            self._counted_as = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._phase == _HEAD:
            # Counted before parsing: the whole head may come in one read.
            end = data.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else end + 4
            if self._head_bytes > self.max_header_bytes:
                self._refuse(HEADERS_TOO_LARGE)
                return
        super().data_received(data)
        if self.transport.is_closing() or self.parser is None:
            return
        if self._phase == _HEAD:
            if self._timer is None:  # the first bytes of a head on a kept-alive connection
                self._arm(self.header_timeout)
        elif self._phase == _BODY:
            self._arm(self.body_timeout)  # the longest pause between two reads of the body

    # -- the parser's callbacks ----------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._disarm()
        self._phase = _BODY
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._phase = _RESPONSE
        super().on_message_complete()

    def on_response_complete(self) -> None:
        if self._phase == _RESPONSE:
            self._phase = _HEAD
            self._head_bytes = 0
        super().on_response_complete()  # arms uvicorn's keep-alive timer for the idle time

    # -- timers --------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._phase == _BODY and self.flow is not None and self.flow.read_paused:
            self._arm(self.body_timeout)  # uvicorn paused reading (the app is busy): not idle
            return
        if self._phase == _RESPONSE:
            return
        what = "headers" if self._phase == _HEAD else "body"
        log.info("closed a connection from %s: request %s too slow", self.client, what)
        if self._phase == _HEAD or self.cycle is None or not self.cycle.response_started:
            self._refuse(REQUEST_TIMEOUT)
        else:
            self.transport.close()

    def _refuse(self, answer: bytes) -> None:
        self._disarm()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.write(answer)
        self.transport.close()


def protocol_class(
    *,
    header_timeout: float,
    body_timeout: float,
    max_header_bytes: int,
    max_per_client: int,
) -> type[GuardedHttpToolsProtocol]:
    """The protocol with these limits, for ``uvicorn.Config(http=...)``."""
    return type(
        "GuardedHttpToolsProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "header_timeout": header_timeout,
            "body_timeout": body_timeout,
            "max_header_bytes": max_header_bytes,
            "max_per_client": max_per_client,
            "open_per_client": Counter(),
        },
    )
