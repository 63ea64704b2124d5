"""The speed work of the API, checked for sameness: the fast path answers byte for byte as
the routes do, the verified-token cache accepts nothing the full check would refuse, and
``plant_generator_total`` holds exactly the generator sums (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from starlette.types import Message

from plant_analytics.api import fastpath
from plant_analytics.api.app import create_api_app
from plant_analytics.api.filters import top_filters
from plant_analytics.api.repositories import plants as plant_repo
from plant_analytics.api.responses import scope_key
from plant_analytics.api.services.aggregation import additive_columns
from plant_analytics.auth.keys import get_keystore
from plant_analytics.auth.tokens import issue_access_token
from plant_analytics.db.derived import (
    SUMMED_GENERATOR_COLUMNS,
    order_column,
    plant_generator_total,
)
from plant_analytics.db.tables import level_table
from plant_analytics.egrid.levels import Level
from plant_analytics.infra.cache import MemoryCache
from plant_analytics.ingest.service import ingest_file
from plant_analytics.security.deps import SecurityContext, local_security, require_admin
from plant_analytics.security.tokens import (
    InvalidTokenError,
    RemoteJwks,
    StaticKeys,
    TokenVerifier,
)
from plant_analytics.settings import Environment, Settings
from tests.api.conftest import GENERATORS_2023, PLANTS_2022, STATES_2022

FAST_PATHS = (
    "/api/v1/plants/top?year=2023&state=TX",
    "/api/v1/plants/top?state=ca&year=2023&limit=3",
    "/api/v1/plants/top?year=2022&state=NE&metric=nameplate_capacity_mw",
    "/api/v1/plants?state=NE&sort=-net_generation_mwh&limit=5",
    "/api/v1/plants/top?year=2023",
    "/api/v1/years",
    "/api/v1/regions/state",
)


def _settings(tmp_path: Path) -> Settings:
    return Settings(env=Environment.TEST, data_dir=tmp_path)


def _token(settings: Settings, *, now: dt.datetime | None = None, role: str = "analyst") -> str:
    return issue_access_token(
        get_keystore(settings),
        settings,
        subject="7",
        email="analyst@example.com",
        role=role,
        now=now,
    )


@pytest.fixture
def served(
    engine: Engine, samples: Path, tmp_path: Path
) -> tuple[Callable[..., TestClient], Settings]:
    """The API app with real token checks (no dependency override), data loaded."""
    for name in (GENERATORS_2023, PLANTS_2022, STATES_2022):
        assert ingest_file(engine, samples / name).ok
    settings = _settings(tmp_path)

    def build(top: bool = False, fast: bool = True) -> TestClient:
        """``top``: /plants/top misses computed by the fast path too; ``fast``: any fast path."""
        app = create_api_app(settings, engine=engine, cache=MemoryCache())
        assert isinstance(app, fastpath.FastPathApp)
        assert app.fast_path is not None
        app.state.security = local_security(settings)
        app.fast_path.compute_top = top
        if not fast:
            app.fast_path = None
        return TestClient(app)

    return build, settings


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    served: list[bool] = []
    original = fastpath.FastPathMiddleware._serve

    async def spy(self: Any, scope: Any, receive: Any, send: Any) -> bool:
        result = await original(self, scope, receive, send)
        served.append(result)
        return result

    monkeypatch.setattr(fastpath.FastPathMiddleware, "_serve", spy)
    return served


def _raw(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, list(response.headers.multi_items()), response.content


def test_fast_path_answers_byte_for_byte_as_the_routes(
    served: tuple[Any, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    build, settings = served
    headers = {"Authorization": f"Bearer {_token(settings)}"}
    taken = _spy(monkeypatch)
    with build() as client:
        for path in FAST_PATHS:
            slow = client.get(path, headers=headers)
            fast = client.get(path, headers=headers)
            assert slow.status_code == 200, (path, slow.text)
            assert taken[-2:] == [False, True], path  # miss: the route; then the fast path
            assert _raw(fast) == _raw(slow), path
            etag = {**headers, "If-None-Match": slow.headers["etag"]}
            fast_304 = client.get(path, headers=etag)
            assert taken[-1] is True
            with build() as fresh:  # nothing cached: the route answers the 304
                slow_304 = fresh.get(path, headers=etag)
                assert taken[-1] is False
            assert fast_304.status_code == 304
            assert _raw(fast_304) == _raw(slow_304), path


def test_fast_path_leaves_every_doubt_to_the_routes(
    served: tuple[Any, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    build, settings = served
    path = FAST_PATHS[0]
    good = {"Authorization": f"Bearer {_token(settings)}"}
    expired = _token(settings, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    taken = _spy(monkeypatch)
    with build() as client:
        assert client.get(path, headers=good).status_code == 200  # fills the cache
        for headers in (
            {},
            {"Authorization": "Bearer not-a-jwt"},
            {"Authorization": f"Bearer {expired}"},
            {"Authorization": "Basic x"},
        ):
            response = client.get(path, headers=headers)
            assert response.status_code == 401, headers
            assert response.headers["content-type"].startswith("application/problem+json")
            assert taken[-1] is False
        admin = {"Authorization": f"Bearer {_token(settings, role='admin')}"}
        fresh = client.get(path, headers={**admin, "Cache-Control": "no-cache"})
        assert fresh.status_code == 200
        assert taken[-1] is False  # an admin's no-cache: computed by the route
        cached = client.get(path, headers={**good, "Cache-Control": "no-cache"})
        assert cached.status_code == 200
        assert taken[-1] is True  # anyone else's is answered from the cache (issue 13)
        invalid = client.get(path + "&limit=0", headers=good)
        assert invalid.status_code == 422
        assert taken[-1] is False


def test_fast_path_needs_the_gateway_signature_when_the_route_does(
    served: tuple[Any, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    build, settings = served
    headers = {"Authorization": f"Bearer {_token(settings)}"}
    taken = _spy(monkeypatch)
    with build() as client:
        assert client.get(FAST_PATHS[0], headers=headers).status_code == 200
        verifier = local_security(settings).verifier
        client.app.state.security = SecurityContext(verifier, require_gateway_signature=True)
        response = client.get(FAST_PATHS[0], headers=headers)
    assert response.status_code == 401
    assert taken[-1] is False


def test_admin_routes_are_never_fast() -> None:
    router = APIRouter()

    @router.get("/open")
    async def open_route() -> None: ...

    @router.get("/admin", dependencies=[Depends(require_admin)])
    async def admin_route() -> None: ...

    @router.post("/write")
    async def write_route() -> None: ...

    assert fastpath.fast_path_routes(router.routes, "/api/v1") == {"/api/v1/open"}


def test_cache_keys_are_canonical_and_unambiguous() -> None:
    def key(query: bytes) -> str:
        return scope_key({"path": "/api/v1/plants", "query_string": query})

    assert key(b"b=2&a=1") == key(b"a=1&b=2")
    assert key(b"state=CA&state=TX") == key(b"state=TX&state=CA")
    assert key(b"q=a%26b%3D1") != key(b"q=a&b=1")
    assert key(b"q=a+b") == key(b"q=a%20b")


# -- the verified-token cache -------------------------------------------------------------


@pytest.fixture
def verifier_and_settings(tmp_path: Path) -> tuple[TokenVerifier, Settings]:
    settings = _settings(tmp_path)
    keystore = get_keystore(settings)
    verifier = TokenVerifier(
        StaticKeys(keystore.static_keys().keys), settings.jwt_issuer, settings.jwt_audience
    )
    return verifier, settings


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def _count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original = jwt.decode

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    # the jwt module security.tokens decodes with (the same module object)
    monkeypatch.setattr(jwt, "decode", counting)
    return calls


def test_token_cache_spares_repeats_until_exp(
    verifier_and_settings: tuple[TokenVerifier, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier, settings = verifier_and_settings
    calls = _count_decodes(monkeypatch)
    ttl = settings.access_token_ttl_seconds
    # expires in 5 s
    token = _token(settings, now=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=ttl - 5))
    first = _run(verifier.verify(token))
    second = _run(verifier.verify(token))
    assert first == second
    assert calls[0] == 1
    real = time.time  # security.tokens' clock: its ``time`` is this module
    monkeypatch.setattr(time, "time", lambda: real() + 6)  # past exp
    _run(verifier.verify(token))  # checked in full again (PyJWT's own clock: still valid)
    assert calls[0] == 2


def test_token_cache_never_accepts_what_the_check_refuses(
    verifier_and_settings: tuple[TokenVerifier, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier, settings = verifier_and_settings
    calls = _count_decodes(monkeypatch)
    expired = _token(settings, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    for _ in range(2):
        with pytest.raises(InvalidTokenError, match="expired"):
            _run(verifier.verify(expired))
    assert calls[0] == 2  # refused tokens are not remembered
    token = _token(settings)
    _run(verifier.verify(token))
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidTokenError):
        _run(verifier.verify(tampered))
    # the key is withdrawn: its tokens stop at once, cached or not
    assert isinstance(verifier.keys, StaticKeys)
    verifier.keys.keys.clear()
    with pytest.raises(InvalidTokenError, match="not one of the published keys"):
        _run(verifier.verify(token))


def test_cached_answers_only_what_verify_would_without_awaiting(
    verifier_and_settings: tuple[TokenVerifier, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cached`` (the fast path's check): the principal of a verified, unexpired token
    whose key the key source still holds, else None (and ``verify`` decides)."""
    verifier, settings = verifier_and_settings
    token = _token(settings)
    assert verifier.cached(token) is None  # never verified
    principal = _run(verifier.verify(token))
    assert verifier.cached(token) == principal
    assert verifier.cached(token + "x") is None
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 2 * 3600)  # past exp
    assert verifier.cached(token) is None
    monkeypatch.setattr(time, "time", real)
    _run(verifier.verify(token))
    assert isinstance(verifier.keys, StaticKeys)
    for kid in verifier.keys.keys:  # the key replaced
        verifier.keys.keys[kid] = Ed25519PrivateKey.generate().public_key()
    assert verifier.cached(token) is None
    with pytest.raises(InvalidTokenError):
        _run(verifier.verify(token))


def test_remote_keys_are_known_only_while_fresh() -> None:
    jwks = RemoteJwks("http://127.0.0.1:1/.well-known/jwks.json", ttl=300)
    key = Ed25519PrivateKey.generate().public_key()
    jwks._keys, jwks._fetched_at = {"k1": key}, time.monotonic()
    assert jwks.known_key("k1") is key
    assert jwks.known_key("k2") is None
    jwks._fetched_at -= 301  # stale: public_key would fetch, so it is not known
    assert jwks.known_key("k1") is None


def test_token_cache_is_bounded(
    verifier_and_settings: tuple[TokenVerifier, Settings],
) -> None:
    verifier, settings = verifier_and_settings
    assert verifier.cache is not None
    verifier.cache.max_entries = 3
    for _ in range(5):
        _run(verifier.verify(_token(settings)))
    assert len(verifier.cache) == 3


# -- the derived table --------------------------------------------------------------------


def test_additive_generator_columns_are_the_summed_ones() -> None:
    assert set(additive_columns(Level.GENERATOR)) == set(SUMMED_GENERATOR_COLUMNS)


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


def test_plant_totals_are_the_generator_sums(engine: Engine, samples: Path) -> None:
    for _ in range(2):  # loading again replaces the year's totals, never adds to them
        assert ingest_file(engine, samples / GENERATORS_2023).ok
    generator = level_table(Level.GENERATOR)
    groups = (
        generator.c.data_year,
        generator.c.plant_id_eia,
        generator.c.state,
        generator.c.plant_name,
    )
    live = sa.select(
        *groups, sa.func.count(), *(sa.func.sum(generator.c[c]) for c in SUMMED_GENERATOR_COLUMNS)
    ).group_by(*groups)
    totals = plant_generator_total
    stored = sa.select(
        totals.c.data_year,
        totals.c.plant_id_eia,
        totals.c.state,
        totals.c.plant_name,
        totals.c.generator_count,
        *(totals.c[c] for c in SUMMED_GENERATOR_COLUMNS),
        *(totals.c[order_column(c)] for c in SUMMED_GENERATOR_COLUMNS),
    )
    with engine.connect() as conn:
        expected = {tuple(r[:4]): r[4:] for r in conn.execute(live)}
        rows = conn.execute(stored).all()
        current = conn.execute(
            sa.text("SELECT id FROM release WHERE level = 'generator' AND superseded_at IS NULL")
        ).scalar_one()
        releases = set(conn.execute(sa.select(totals.c.release_id).distinct()).scalars())
    assert len(rows) == len(expected) > 1000
    assert releases == {current}
    width = len(SUMMED_GENERATOR_COLUMNS)
    for row in rows:
        sums = expected[tuple(row[:4])]
        assert row[4] == sums[0]
        assert all(_same(a, b) for a, b in zip(row[5 : 5 + width], sums[1:], strict=True)), row
    # each order column ranks the year: descending, nulls last, then name, state, ORISPL
    for index, column in enumerate(SUMMED_GENERATOR_COLUMNS):
        value_at = 5 + index
        by_order = sorted(rows, key=lambda r: r[5 + width + index])
        assert [r[5 + width + index] for r in by_order] == list(range(1, len(rows) + 1))
        values = [r[value_at] for r in by_order]
        present = [v for v in values if v is not None]
        assert values[: len(present)] == present, column  # nulls last
        assert present == sorted(present, reverse=True), column


@pytest.mark.parametrize("states", [["TX"], ["CA", "RI"], None])
def test_top_from_totals_equals_summing_the_generators(
    engine: Engine, samples: Path, states: list[str] | None
) -> None:
    assert ingest_file(engine, samples / GENERATORS_2023).ok
    filters = top_filters(states, None)
    scoped = type(filters)(equals={**filters.equals, "data_year": (2023,)})
    for metric in SUMMED_GENERATOR_COLUMNS:
        fast = plant_repo.top_from_generators(engine, scoped, metric, 25)
        slow = plant_repo.top_from_generator_rows(engine, scoped, metric, 25)
        assert [list(r) for r in fast] == [list(r) for r in slow]  # same columns, same order
        assert all(_same(a[metric], b[metric]) for a, b in zip(fast, slow, strict=True))
        ranked = [r[metric] for r in fast if r[metric] is not None]
        assert ranked == sorted(ranked, reverse=True)
        # the plants: the same unless the 25th place is a tie
        if slow[-1][metric] != slow[-2][metric]:
            key = ("plant_id_eia", "state", "plant_name")
            assert {tuple(r[k] for k in key) for r in fast} == {
                tuple(r[k] for k in key) for r in slow
            }


def test_precomputed_headers_are_those_of_the_responses() -> None:
    from plant_analytics.api.responses import etag_of, json_response, not_modified

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    body, version, key = b'{"data":[]}', "v42", "/api/v1/years?"
    etag = etag_of(version, key)
    for if_none_match, expected in (
        (None, json_response(body, version, etag)),
        (etag, not_modified(version, etag)),
    ):
        sent.clear()
        asyncio.run(fastpath.send_cached(send, body, version, key, if_none_match))
        assert sent[0]["status"] == expected.status_code
        assert sent[0]["headers"] == expected.raw_headers
        assert sent[1]["body"] == expected.body


def test_fast_path_serves_target_all_behind_the_gateway_guard(
    engine: Engine, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--target all``: the fast path answers repeats byte for byte as the routes do, and
    only after the gateway's guard (a missing token is its 401; limits count every request)."""
    from tests.support.platform import login, make_user, running, settings_for

    for name in (GENERATORS_2023, PLANTS_2022, STATES_2022):
        assert ingest_file(engine, samples / name).ok
    settings = settings_for(engine, tmp_path)
    taken = _spy(monkeypatch)
    monkeypatch.setattr(fastpath.FastPathMiddleware, "compute_top", False)
    with running("all", settings) as (client, process):
        make_user(process)  # a real account: every target checks the token's account
        headers = {"Authorization": f"Bearer {login(client)['access_token']}"}
        for path in FAST_PATHS:
            slow = client.get(path, headers=headers)
            fast = client.get(path, headers=headers)
            assert slow.status_code == 200, (path, slow.text)
            assert taken[-2:] == [False, True], path
            strip = {"x-request-id", "ratelimit-remaining", "ratelimit-reset"}
            assert [(k, v) for k, v in _raw(fast)[1] if k not in strip] == [
                (k, v) for k, v in _raw(slow)[1] if k not in strip
            ], path
            assert fast.content == slow.content
            assert fast.headers["ratelimit-limit"]  # the guard ran for the fast answer too
            assert int(fast.headers["ratelimit-remaining"]) < int(
                slow.headers["ratelimit-remaining"]
            )
        before = len(taken)
        refused = client.get(FAST_PATHS[0])
        assert refused.status_code == 401
        assert len(taken) == before  # refused by the guard, the fast path never saw it


TOP_QUERIES = (
    "?year=2023&state=TX",
    "?state=ca&year=2023&limit=3",
    "?year=2022&state=NE&metric=nameplate_capacity_mw",
    "?year=2023",
    "",
    "?limit=1000&year=2022",
    "?metric=net_generation_mwh&state=NE&year=2022&limit=1",
)
UNUSUAL_TOP_QUERIES = (
    "?limit=0",
    "?limit=1001",
    "?limit=+5",
    "?limit=05",
    "?year=1995",
    "?year=abc",
    "?year=",
    "?year=2023&year=2022",
    "?state=TXX",
    "?state=T1",
    "?state=%54X",
    "?state=TX&state=CA",
    "?metric=nope",
    "?metric=" + "x" * 81,
    "?fuel=WIND",
    "?format=csv",
    "?year=2019",  # valid, nothing loaded: the route's problem
    "?year=2023&other=1",
)


def test_top_misses_are_computed_byte_for_byte_as_the_route(
    served: tuple[Any, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """/plants/top not cached (or ``no-cache``): the hand-written parameter check and the
    route's function answer as FastAPI does, headers and body."""
    build, settings = served
    headers = {"Authorization": f"Bearer {_token(settings)}"}
    taken = _spy(monkeypatch)
    with build(top=True) as fast, build(fast=False) as slow:
        for query in TOP_QUERIES:
            path = "/api/v1/plants/top" + query
            for extra in ({"Cache-Control": "no-cache"}, {}):
                got = fast.get(path, headers={**headers, **extra})
                assert taken[-1] is True, (path, extra)
                expected = slow.get(path, headers={**headers, **extra})
                assert expected.status_code == 200, (path, expected.text)
                assert _raw(got) == _raw(expected), (path, extra)
            # the miss filled the cache as the route does: the next one is a cache hit
            assert _raw(fast.get(path, headers=headers)) == _raw(expected)


def test_top_leaves_unusual_and_invalid_parameters_to_fastapi(
    served: tuple[Any, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    build, settings = served
    headers = {"Authorization": f"Bearer {_token(settings)}", "Cache-Control": "no-cache"}
    taken = _spy(monkeypatch)
    with build(top=True) as fast, build(fast=False) as slow:
        for query in UNUSUAL_TOP_QUERIES:
            path = "/api/v1/plants/top" + query
            got = fast.get(path, headers=headers)
            assert taken[-1] is False, path
            assert _raw(got) == _raw(slow.get(path, headers=headers)), path
        for bad in ({}, {"Authorization": "Bearer not-a-jwt"}):
            got = fast.get("/api/v1/plants/top?year=2023", headers=bad)
            assert got.status_code == 401
            assert taken[-1] is False


def test_top_parameters_accept_only_plain_forms() -> None:
    assert fastpath.top_parameters(b"year=2023&state=TX") == (2023, "TX", "net_generation_mwh", 10)
    assert fastpath.top_parameters(b"") == (None, None, "net_generation_mwh", 10)
    for query in (
        b"limit=0",
        b"year=2023&year=2022",
        b"state=T%58",
        b"fuel=WIND",
        b"year",
        b"state=",
        b"limit=1001",
        b"year=2101",
        b"x=1",
    ):
        assert fastpath.top_parameters(query) is None, query


def test_cache_request_reads_headers_as_require_principal() -> None:
    read = fastpath._cache_request
    token = "a.b.c"
    assert read([(b"authorization", b"Bearer a.b.c")]) == (token, None, False)
    assert read([(b"authorization", b"bearer  a.b.c ")]) == (token, None, False)
    assert read([(b"authorization", b"Basic a.b.c")]) is None
    assert read([(b"authorization", b"Bearer ")]) is None
    assert read([(b"host", b"x")]) is None
    twice = [(b"authorization", b"Bearer a.b.c"), (b"authorization", b"Bearer a.b.c")]
    assert read(twice) is None
    long_token = "x" * (fastpath._TOKENS_KEPT_BYTES + 10)
    assert read([(b"authorization", b"Bearer " + long_token.encode())]) == (
        long_token,
        None,
        False,
    )
    headers = [
        (b"authorization", b"Bearer a.b.c"),
        (b"if-none-match", b'W/"1.1.0-abc"'),
        (b"cache-control", b"no-cache"),
    ]
    assert read(headers) == (token, 'W/"1.1.0-abc"', True)
    # the same header again: the same string (its hash is the token cache's lookup)
    first = read([(b"authorization", b"Bearer " + b"y" * 600)])
    again = read([(b"authorization", b"Bearer " + b"y" * 600)])
    assert first is not None
    assert again is not None
    assert first[0] is again[0]
