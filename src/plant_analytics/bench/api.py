"""``make bench-api``: the analytics API under load, next to a bare ASGI floor, with wrk.

One run, one worker process per server, wrk on loopback (one thread, so server and load
generator share this machine's cores the same way for every scenario):

1. floor: a bare ASGI app answering a fixed 1 KB JSON;
2. ``/api/v1/plants/top`` cached: the same query repeated (the query cache answers);
3. uncached: a wrk Lua script rotates the query over every state and sends
   ``Cache-Control: no-cache``, so each request is computed from the database;
4. through the gateway in the microservices mode: ``serve --target auth|api|gateway`` as
   three processes on PostgreSQL and Redis (skipped, and said so, when either is missing).

Every API request carries a real EdDSA access token, checked on each request (the verified
token cache of ``security.tokens`` spares the signature check on repeats, as in
production). The API servers run as served: request-id/metrics/JSON-log middleware, one JSON
log line per request at INFO (to a file). Each scenario runs ``--repeat`` times, interleaved,
and the medians are reported. Results go to stdout and to the "## API" section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from plant_analytics.api.services.reference import STATE_NAMES

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "data" / "egrid"
BENCH_FILES = ("gen2023_6col.csv", "plnt2022_subset_NE_MROW_SPPN_SPPS.csv", "st2022.csv")
TOP_PATH = "/api/v1/plants/top?year=2023&state=TX"
STATES = tuple(sorted(STATE_NAMES))  # the 50 states, DC and PR
# The targets the original NestJS implementation set on this machine (issue 3).
NEST_CACHED, NEST_UNCACHED = 1500.0, 740.0

FLOOR_BODY = orjson.dumps(
    {
        "data": [
            {
                "plant_id_eia": i,
                "plant_name": f"Plant number {i:04d}",
                "state": "TX",
                "net_generation_mwh": 1234567.891 + i,
            }
            for i in range(12)
        ],
        "meta": {"count": 12, "source": "floor"},
    }
)[:1024]
FLOOR_BODY = FLOOR_BODY + b" " * (1024 - len(FLOOR_BODY))  # JSON allows trailing whitespace

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


async def floor_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The floor: the least an ASGI app can do to answer 1 KB of JSON."""
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
        }
    )
    await send({"type": "http.response.body", "body": FLOOR_BODY})


def bench_api_app() -> Any:
    """The API app as the ``api`` component builds it, with in-process token verification."""
    from plant_analytics.api.app import create_api_app
    from plant_analytics.ops.http import ObservabilityMiddleware
    from plant_analytics.ops.logging import configure_logging
    from plant_analytics.security.deps import configure_security, local_security
    from plant_analytics.server import guarded
    from plant_analytics.settings import Settings

    settings = Settings()
    configure_logging("api", settings.log_level)  # the JSON request log line, as served
    configure_security(local_security(settings))
    # server.build_app wraps every target like this (body limits, request id, metrics, the
    # log line)
    return guarded(
        ObservabilityMiddleware(create_api_app(settings), service="api", count_api_calls=True),
        settings,
    )


@dataclass
class Result:
    name: str
    requests_per_second: float | None
    p50_ms: float | None
    p99_ms: float | None
    note: str = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(workdir: Path) -> tuple[dict[str, str], str]:
    """A SQLite database with the samples loaded, and an access token for it."""
    from plant_analytics.auth.keys import get_keystore
    from plant_analytics.auth.tokens import issue_access_token
    from plant_analytics.db.engine import make_engine
    from plant_analytics.db.migrate import upgrade
    from plant_analytics.ingest.service import ingest_file
    from plant_analytics.settings import Environment, Settings

    env = {
        "PA_ENV": Environment.DEVELOPMENT.value,
        "PA_DATA_DIR": str(workdir),
        "PA_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "PA_LOG_LEVEL": "INFO",
    }
    settings = Settings(
        env=Environment.DEVELOPMENT, data_dir=workdir, database_url=env["PA_DATABASE_URL"]
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    for name in BENCH_FILES:
        result = ingest_file(engine, SAMPLES / name)
        if not result.ok:
            raise SystemExit(f"cannot load {name}: {result.message}")
    subject = str(uuid.uuid4())
    add_bench_user(engine, subject)
    engine.dispose()
    token = issue_access_token(
        get_keystore(settings),
        settings,
        subject=subject,
        email=BENCH_EMAIL,
        role="admin",  # the uncached scenario's no-cache is obeyed for admins only (issue 13)
        generation=0,
    )
    return env, token


BENCH_EMAIL = "bench@plantanalytics.com"


def add_bench_user(engine: Any, subject: str) -> None:
    """The admin the bench's token names: every target checks a token's account on use."""
    import datetime as dt

    import sqlalchemy as sa

    from plant_analytics.auth import repository
    from plant_analytics.auth.models import app_user
    from plant_analytics.auth.service import hash_password

    with engine.begin() as conn:
        user_id = repository.insert_user(
            conn,
            email=BENCH_EMAIL,
            password_hash=hash_password(uuid.uuid4().hex),
            role="admin",
            full_name=None,
            now=dt.datetime.now(dt.UTC),
        )
        conn.execute(sa.update(app_user).where(app_user.c.id == user_id).values(subject=subject))


def token_subject(token: str) -> str:
    import jwt

    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


def start_server(
    spec: str, port: int, env: dict[str, str], factory: bool, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        spec,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if factory:
        command.append("--factory")
    with log.open("ab") as handle:
        return subprocess.Popen(  # noqa: S603
            command, env={**os.environ, **env}, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT
        )


def wait_until_up(port: int, path: str, headers: dict[str, str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=2)
            if response.status_code == 200:
                return
            raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not start")


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        raise ValueError(text)
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(
    name: str,
    url: str,
    *,
    seconds: int,
    connections: int,
    headers: dict[str, str],
    script: Path | None = None,
) -> Result:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if not (rps and p50 and p99):
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    note = f"{errors.group(1)} non-2xx responses" if errors else ""
    return Result(
        name, float(rps.group(1)), _duration_ms(p50.group(1)), _duration_ms(p99.group(1)), note
    )


def rotating_script(workdir: Path, token: str, port: int) -> Path:
    states = ", ".join(f'"{s}"' for s in STATES)
    script = workdir / "rotate_states.lua"
    script.write_text(
        f"local states = {{{states}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #states + 1\n"
        '  return wrk.format("GET", "/api/v1/plants/top?year=2023&state=" .. states[i], {\n'
        f'    ["Host"] = "127.0.0.1:{port}",\n'
        f'    ["Authorization"] = "Bearer {token}",\n'
        '    ["Cache-Control"] = "no-cache"})\n'
        "end\n"
    )
    return script


GATEWAY_NAME = "gateway -> api (microservices), cached"
POSTGRES_URL = os.environ.get(
    "PA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


@dataclass
class Microservices:
    port: int
    processes: list[subprocess.Popen[bytes]]
    database: str
    redis_prefix: str

    def stop(self) -> None:
        stop_all(self.processes)
        try:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except Exception as exc:
            print(f"could not drop the bench database {self.database}: {exc}", file=sys.stderr)
        try:
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(f"{self.redis_prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()
        except Exception as exc:
            print(f"could not clean the bench's Redis keys: {exc}", file=sys.stderr)


def start_microservices(workdir: Path, env: dict[str, str], token: str) -> Microservices | str:
    """gateway + auth + api as three processes on PostgreSQL and Redis, like
    tests/integration/test_microservices.py; the reason as text when it cannot be done."""
    import psycopg
    import redis
    from sqlalchemy.engine import make_url

    from plant_analytics.db.engine import make_engine
    from plant_analytics.db.migrate import upgrade
    from plant_analytics.ingest.service import ingest_file

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"not run: no Redis at {REDIS_URL} ({exc})"
    database = f"pa_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
    except Exception as exc:
        return f"not run: no PostgreSQL at {POSTGRES_URL} ({exc})"
    url = make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)
    prefix = f"pa-bench-{uuid.uuid4().hex[:8]}"
    services = Microservices(0, [], database, prefix)
    try:
        engine = make_engine(url)
        upgrade(engine)
        for name in BENCH_FILES:
            result = ingest_file(engine, SAMPLES / name)
            if not result.ok:
                raise SystemExit(f"cannot load {name} into PostgreSQL: {result.message}")
        add_bench_user(engine, token_subject(token))
        engine.dispose()
        ports = {name: _free_port() for name in ("gateway", "auth", "api")}
        services.port = ports["gateway"]
        cli = Path(sys.executable).parent / "plant-analytics"
        service_env = {
            **env,
            "PA_DATABASE_URL": url,
            "PA_REDIS_URL": REDIS_URL,
            "PA_REDIS_KEY_PREFIX": prefix,
            "PA_INTERNAL_SECRET": uuid.uuid4().hex,
            "PA_AUTH_URL": f"http://127.0.0.1:{ports['auth']}",
            "PA_API_URL": f"http://127.0.0.1:{ports['api']}",
            # the bench measures throughput, not the limiter's refusals
            "PA_RATE_LIMIT_PER_MINUTE": "1000000000",
            "PA_RATE_LIMIT_IP_PER_MINUTE": "1000000000",
        }
        for name in ("auth", "api", "gateway"):
            with (workdir / f"{name}.log").open("ab") as log:
                services.processes.append(
                    subprocess.Popen(  # noqa: S603
                        [str(cli), "serve", "--target", name, "--port", str(ports[name])],
                        env={**os.environ, **service_env},
                        cwd=REPO,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        for name in ("auth", "api", "gateway"):
            wait_until_up(ports[name], "/health", {}, timeout=60)
        wait_until_up(ports["gateway"], TOP_PATH, {"Authorization": f"Bearer {token}"})
    except BaseException:
        services.stop()
        raise
    return services


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


# Measured on this machine before the speed work (docs/benchmarks.md history, 2026-11-28):
# token verified on every request, FastAPI on every request, the top query summing generators.
BEFORE = (
    "floor 16-20k req/s, cached 870-1,750, uncached 85-140, gateway not run (earlier runs); "
    "a run of the previous code just before the change (2026-11-28 13:05 UTC, without the "
    "log line): floor 17,205, cached 1,198, uncached 118; the pass before this one "
    "(13:27 UTC, same command): floor 19-28k, cached 7.4-7.7k, uncached 1,400, "
    "gateway 143-158; the pass before this one (13:53 UTC, same command): floor 35,181, "
    "cached 9,406 (3.74x), uncached 2,482, gateway 1,264; the pass before this one "
    "(14:31 UTC, same command): floor 34,828, cached 15,011 (2.32x), uncached 3,434, "
    "gateway 1,701"
)


def _verdict(results: list[Result]) -> list[str]:
    floor, cached, uncached = (r.requests_per_second for r in results[:3])

    def met(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    lines = []
    if floor and cached:
        lines.append(
            f"- Cached >= {3 * NEST_CACHED:,.0f} req/s (3x NestJS): {cached:,.0f}, "
            f"{met(cached >= 3 * NEST_CACHED)}."
        )
        lines.append(
            f"- Cached within 2x of the floor (>= {floor / 2:,.0f}): the floor is "
            f"{floor / cached:.2f}x faster, {met(cached >= floor / 2)}."
        )
    if uncached:
        lines.append(
            f"- Uncached >= {3 * NEST_UNCACHED:,.0f} req/s (3x NestJS): {uncached:,.0f}, "
            f"{met(uncached >= 3 * NEST_UNCACHED)} ({uncached / NEST_UNCACHED:.1f}x NestJS)."
        )
    return lines


def render(results: list[Result], seconds: int, connections: int, repeat: int = 1) -> str:
    floor = results[0].requests_per_second or 0
    lines = [
        "## API",
        "",
        "`make bench-api` (`python -m plant_analytics.bench.api`): one uvicorn worker "
        "(uvloop, httptools, no uvicorn access log) per server, wrk on loopback "
        f"(`wrk -t1 -c{connections} -d{seconds}s --latency`), every scenario run {repeat} "
        "times, interleaved, medians shown (every run's req/s in the note). The API runs as "
        "it is served: request-id/metrics middleware and one JSON log line per request at "
        "INFO (to a file), every request with a real EdDSA bearer token checked in-process. "
        "Scenarios 1-3 on SQLite with the sample files loaded; scenario 4 is "
        "`serve --target auth`, `--target api` and `--target gateway` as three processes on "
        "PostgreSQL and Redis (rate limits raised out of the way), the gateway verifying the "
        "token and signing the request, the API checking signature and token.",
        "",
        f"Machine: {machine()}, shared with other jobs while it ran (figures are noisy). "
        f"Run: {time.strftime('%Y-%m-%d %H:%M %Z')}.",
        "",
        "| scenario | req/s | p50 ms | p99 ms | floor ÷ this | target | note |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    targets = {1: f">= {3 * NEST_CACHED:,.0f} and >= floor/2", 2: f">= {3 * NEST_UNCACHED:,.0f}"}
    for index, r in enumerate(results):
        if r.requests_per_second is None:
            lines.append(f"| {r.name} | - | - | - | - | | {r.note} |")
            continue
        ratio = f"{floor / r.requests_per_second:.2f}x" if index and floor else "1x"
        lines.append(
            f"| {r.name} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{ratio} | {targets.get(index, '')} | {r.note} |"
        )
    lines += ["", "Targets (issue 3: 3x the NestJS figures, cached within 2x of the floor):", ""]
    lines += _verdict(results)
    gateway = results[3].requests_per_second if len(results) > 3 else None
    if gateway:
        lines += [
            "",
            "The gateway row: the gateway forwards with aiohttp's pooled keep-alive client "
            "(`gateway/upstream.py`; httpx's async pool cost ~1.3 ms a request and collapsed "
            "to ~100 req/s with 64 in flight; a hand-written HTTP/1.1 client measured "
            "1.5-1.6k req/s here, within the noise of aiohttp's figure, so the maintained "
            "library was kept) and checks all of a "
            "request's rate-limit keys in one pipelined Redis round trip. Five processes "
            "(wrk, gateway, api, Redis, PostgreSQL's idle backends) share the 2 cores here, "
            "and every request crosses two HTTP hops and two Redis round trips (limits, "
            "cache), so this row is bounded by the machine, not by one process.",
        ]
    lines += [
        "",
        "Cached: the same `" + TOP_PATH + "` repeated; the fast path (api/fastpath.py) "
        "authenticates (verified-token cache), finds the response in the query cache (in "
        "memory here, Redis in scenario 4; keys carry the data version) and answers with "
        "precomputed headers, before Starlette's middleware stack and without FastAPI's "
        "routing and validation (`--target all` has it too, inside the gateway's guard); "
        "the request line is cut from a template per route/status/user (time, id and "
        "duration put in) and buffered by the log handler, written in one write per 256 "
        "lines or 50 ms, and at shutdown (ops/logging.py `JsonStreamHandler`); the "
        "request is counted and timed in one metrics series per route and status, one lock "
        "for its three Prometheus metrics (ops/metrics.py `RequestMetrics`). "
        "Uncached: a wrk Lua script rotates `state` over all 52 codes and sends "
        "`Cache-Control: no-cache`, so every request is computed: the fast path checks "
        "its plain parameters by hand (anything unusual or invalid goes to FastAPI, whose "
        "422 stays the answer), calls the route's function, and that runs the "
        "query on the database (the 2023 sample has generators only: "
        "the plants come from `plant_generator_total`, the generator sums kept at load "
        "time, an index range scan per state). For reference, the original NestJS "
        f"implementation served about {NEST_CACHED:,.0f} req/s cached and "
        f"{NEST_UNCACHED:,.0f} uncached on this machine.",
        "",
        f"Before this work, same machine and command: {BEFORE}.",
        "",
    ]
    return "\n".join(lines)


def write_section(section: str, path: Path) -> None:
    """Replace the "## API" section of ``path`` (or append it), leaving the rest as it is."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(r"^## API\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def median_result(name: str, runs: list[Result]) -> Result:
    """The median of each figure over the repeats, with every run's req/s in the note."""
    rps = [r.requests_per_second or 0.0 for r in runs]
    notes = sorted({r.note for r in runs if r.note})
    note = "runs: " + " / ".join(f"{v:,.0f}" for v in rps)
    return Result(
        name,
        statistics.median(rps),
        statistics.median(r.p50_ms or 0.0 for r in runs),
        statistics.median(r.p99_ms or 0.0 for r in runs),
        "; ".join([note, *notes]),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (medians)")
    parser.add_argument("--no-gateway", action="store_true", help="skip the microservices")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="pa-bench-api-"))
    servers: list[subprocess.Popen[bytes]] = []
    services: Microservices | None = None
    try:
        env, token = prepare(workdir)
        auth = {"Authorization": f"Bearer {token}"}
        floor_port, api_port = _free_port(), _free_port()
        log = workdir / "servers.log"
        servers.append(
            start_server("plant_analytics.bench.api:floor_app", floor_port, env, False, log)
        )
        servers.append(
            start_server("plant_analytics.bench.api:bench_api_app", api_port, env, True, log)
        )
        wait_until_up(floor_port, "/", {})
        wait_until_up(api_port, TOP_PATH, auth)
        gateway_note = "not run: --no-gateway"
        if not args.no_gateway:
            started = start_microservices(workdir, env, token)
            if isinstance(started, str):
                gateway_note = started
            else:
                services = started
        common = {"seconds": args.seconds, "connections": args.connections}
        scenarios: list[tuple[str, str, dict[str, str], Path | None]] = [
            ("floor: bare ASGI, 1 KB JSON", f"http://127.0.0.1:{floor_port}/", {}, None),
            ("/plants/top cached", f"http://127.0.0.1:{api_port}{TOP_PATH}", auth, None),
            (
                "/plants/top uncached (52 states)",
                f"http://127.0.0.1:{api_port}/",
                {},
                rotating_script(workdir, token, api_port),
            ),
        ]
        if services is not None:
            scenarios.append(
                (GATEWAY_NAME, f"http://127.0.0.1:{services.port}{TOP_PATH}", auth, None)
            )
        runs: dict[str, list[Result]] = {name: [] for name, *_ in scenarios}
        for _ in range(args.repeat):  # interleaved: a slow spell of the machine hits all
            for name, url, headers, script in scenarios:
                runs[name].append(run_wrk(name, url, headers=headers, script=script, **common))
        results = [median_result(name, found) for name, found in runs.items()]
        if services is None:
            results.append(Result(GATEWAY_NAME, None, None, None, gateway_note))
    finally:
        stop_all(servers)
        if services is not None:
            services.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    section = render(results, args.seconds, args.connections, args.repeat)
    print(section)
    if not args.no_write:
        write_section(section, args.output)
        print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
