from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.targets import Process
from tests.support.platform import running, settings_for, stub_api

__all__ = ["stub_api"]


@pytest.fixture
def auth_app(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None
) -> Iterator[tuple[TestClient, Process]]:
    """Target all in-process (auth + API stand-in + gateway guard) on SQLite."""
    with running("all", settings_for(sqlite_engine, tmp_path)) as pair:
        yield pair
