"""The gateway's upstream client against a real uvicorn: whole and streamed bodies,
keep-alive reuse, a connection the upstream closed replaced, HEAD, unreachable upstreams."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from plant_analytics.gateway.upstream import (
    WHOLE_BODY_BYTES,
    UpstreamClient,
    UpstreamError,
    UpstreamResponse,
)

BIG = b"x" * (WHOLE_BODY_BYTES * 3)


async def upstream_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    path = scope["path"]
    if path == "/chunked":  # no content-length: uvicorn sends it chunked
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    payload = BIG if path == "/big" else b"echo:" + scope["method"].encode() + b":" + body
    headers = [
        (b"content-type", b"text/plain"),
        (b"content-length", str(len(payload)).encode()),
        (b"x-seen-host", dict(scope["headers"]).get(b"host", b"")),
        (b"x-client-port", str(scope["client"][1]).encode()),
    ]
    await send(
        {
            "type": "http.response.start",
            "status": 201 if path == "/created" else 200,
            "headers": headers,
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            upstream_app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=1
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


async def _read(response: UpstreamResponse) -> bytes:
    if response.body is not None:
        return response.body
    assert response.stream is not None
    return b"".join([chunk async for chunk in response.stream])


def test_whole_chunked_and_streamed_bodies(upstream: str) -> None:
    async def scenario() -> None:
        pool = UpstreamClient(max_connections=4)
        try:
            small = await pool.request("POST", upstream + "/created?x=1", [("a", "b")], b"hi")
            assert small.status == 201
            assert small.body == b"echo:POST:hi"
            assert dict(small.headers)[b"x-seen-host"] == upstream.removeprefix("http://").encode()
            chunked = await pool.request("GET", upstream + "/chunked", [])
            assert await _read(chunked) == b"one,two,three"
            assert b"transfer-encoding" in dict(chunked.headers)
            big = await pool.request("GET", upstream + "/big", [])
            assert big.body is None  # larger than WHOLE_BODY_BYTES: streamed
            assert await _read(big) == BIG
            head = await pool.request("HEAD", upstream + "/created", [])
            assert head.status == 201
            assert head.body == b""
            # after all that, connections still serve (reused or replaced)
            again = await asyncio.gather(
                *[pool.request("GET", upstream + "/", []) for _ in range(10)]
            )
            assert {r.body for r in again} == {b"echo:GET:"}
        finally:
            await pool.aclose()

    asyncio.run(scenario())


def test_keep_alive_reuses_one_connection(upstream: str) -> None:
    async def scenario() -> int:
        pool = UpstreamClient()
        ports = set()
        try:
            for _ in range(5):
                answer = await pool.request("GET", upstream + "/", [])
                assert answer.body == b"echo:GET:"
                ports.add(dict(answer.headers)[b"x-client-port"])
            return len(ports)
        finally:
            await pool.aclose()

    assert asyncio.run(scenario()) == 1


def test_a_connection_the_upstream_closed_is_replaced(
    upstream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the upstream closes idle connections after 1 s: the next request needs a new one

    async def scenario() -> bytes | None:
        pool = UpstreamClient()
        try:
            await pool.request("GET", upstream + "/", [])
            await asyncio.sleep(1.6)
            return (await pool.request("POST", upstream + "/", [], b"again")).body
        finally:
            await pool.aclose()

    assert asyncio.run(scenario()) == b"echo:POST:again"


def test_unreachable_upstream_is_an_upstream_error() -> None:
    async def scenario() -> None:
        pool = UpstreamClient()
        try:
            with pytest.raises(UpstreamError):
                await pool.request("GET", f"http://127.0.0.1:{_free_port()}/", [])
        finally:
            await pool.aclose()

    asyncio.run(scenario())
