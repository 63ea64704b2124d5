"""``make bench-api``'s set-up: the token it measures with is accepted by the API it measures.

The benchmark itself runs wrk against servers (docs/benchmarks.md); what can break silently
is its set-up, as when every target started checking a token's account and the bench's
token named none. Here the bench's own database and token meet its own API app, in-process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plant_analytics.bench.api import TOP_PATH, bench_api_app, prepare
from plant_analytics.security import deps


def test_the_bench_token_is_accepted_by_the_bench_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bench_api_app sets the process's security context: put the old one back afterwards.
    monkeypatch.setattr(deps, "_process_context", deps._process_context)
    # ... and the process's logging, which the other tests configure as they need.
    monkeypatch.setattr("plant_analytics.ops.logging.configure_logging", lambda *_: None)
    env, token = prepare(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with TestClient(bench_api_app()) as client:
        response = client.get(TOP_PATH, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["data"], response.text
