"""Issue 13, finding 10: slow clients are timed out, and one client cannot hold every slot.

uvicorn only times out idle connections between requests; a client that connects and sends
nothing, or trickles its headers (slowloris) or its body, held a connection for ever. Now
(ops/connections.py): a deadline for the head (``PA_HEADER_TIMEOUT_SECONDS``), an idle timeout
for the body (``PA_BODY_TIMEOUT_SECONDS``), both answered 408 and closed; a head over
``PA_MAX_HEADER_BYTES`` is 431; past ``PA_MAX_CONNECTIONS_PER_CLIENT`` open connections from
one address, new ones get 503. In every target: the public entry and, in the microservices
mode, auth and the API themselves.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest

from tests.support.live import MODES, Live, host_port, platform, read_until_closed

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
PER_CLIENT = 6


@pytest.fixture(scope="module", params=MODES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    env = {
        "PA_HEADER_TIMEOUT_SECONDS": "1",
        "PA_BODY_TIMEOUT_SECONDS": "1",
        "PA_MAX_CONNECTIONS_PER_CLIENT": str(PER_CLIENT),
        "PA_MAX_HEADER_BYTES": "16384",
    }
    with platform(request.param, tmp_path_factory.mktemp("slow"), env) as running:
        yield running


def _targets(live: Live) -> list[tuple[str, int]]:
    return [host_port(url) for url in live.services.values()]


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bytes, float]:
    started = time.monotonic()
    received = read_until_closed(sock, seconds)
    return received, time.monotonic() - started


def test_a_silent_connection_is_closed(live: Live) -> None:
    for address in _targets(live):
        with socket.create_connection(address) as sock:
            received, took = _closed_within(sock, 5)
        assert took < 4, f"{address} kept a silent connection open"
        assert received.startswith(b"HTTP/1.1 408"), received


def test_slowloris_headers_are_cut_at_the_deadline(live: Live) -> None:
    for address in _targets(live):
        with socket.create_connection(address) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            closed = False
            for i in range(20):  # a header line every 0.25 s: 5 s if nobody stops it
                try:
                    sock.sendall(f"X-Slow-{i}: {i}\r\n".encode())
                except OSError:
                    closed = True
                    break
                time.sleep(0.25)
                sock.settimeout(0.01)
                try:
                    if sock.recv(1024, socket.MSG_PEEK) == b"":
                        closed = True
                        break
                except TimeoutError:
                    pass
                except OSError:
                    closed = True
                    break
            took = time.monotonic() - started
        assert closed, f"{address} let the headers trickle for {took:.1f} s"
        assert took < 3.5


def test_a_stalled_body_is_cut(live: Live) -> None:
    for address in _targets(live):
        with socket.create_connection(address) as sock:
            sock.sendall(
                b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 200\r\n\r\n{"email": '
            )
            received, took = _closed_within(sock, 6)
        assert took < 4, f"{address} waited for the rest of the body"
        # 408; or, from the API alone, the 401 of a request the gateway did not sign, which
        # is answered without reading the body at all.
        assert received[:12] in (b"HTTP/1.1 408", b"HTTP/1.1 401"), received


def test_a_huge_head_is_431(live: Live) -> None:
    for address in _targets(live):
        with socket.create_connection(address) as sock:
            request = b"GET /health HTTP/1.1\r\nHost: x\r\n"
            request += b"".join(f"X-Pad-{i}: {'p' * 1000}\r\n".encode() for i in range(40))
            with contextlib.suppress(OSError):
                sock.sendall(request + b"\r\n")
            received, _ = _closed_within(sock, 5)
        assert received.startswith(b"HTTP/1.1 431"), received


def test_one_client_cannot_hold_every_connection(live: Live) -> None:
    for address in _targets(live):
        held = [socket.create_connection(address) for _ in range(PER_CLIENT)]
        try:
            time.sleep(0.2)
            with socket.create_connection(address) as extra:
                received, took = _closed_within(extra, 3)
            assert received.startswith(b"HTTP/1.1 503"), received
            assert took < 1
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.3)  # the server sees them closed: a new connection is served again
        with socket.create_connection(address) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert read_until_closed(sock, 5).startswith(b"HTTP/1.1 200")
