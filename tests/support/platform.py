"""Building the platform's targets in-process for tests, with a stand-in analytics API.

The stand-in keeps these tests about auth, gateway and ops, whatever state the real API is
in; tests/integration runs the real one.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics import targets
from plant_analytics.auth.service import AuthService
from plant_analytics.auth.throttle import LoginPolicy
from plant_analytics.security.deps import RequireUser
from plant_analytics.security.principal import Role
from plant_analytics.server import build_app
from plant_analytics.settings import Settings

PASSWORD = "correct horse battery"


def settings_for(engine: Engine, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path,
        "database_url": engine.url.render_as_string(hide_password=False),
        "internal_secret": "test-internal-secret",
        "admin_password": "not-the-demo-password",
    }
    values.update(overrides)
    return Settings(**values)


def stub_api_router(_settings: Settings, **_: Any) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/whoami")
    async def whoami(principal: RequireUser) -> dict[str, str]:
        return {"sub": principal.subject, "email": principal.email, "role": principal.role}

    @router.post("/echo")
    async def echo(body: dict[str, Any], principal: RequireUser) -> dict[str, Any]:
        return {"body": body, "email": principal.email}

    @router.get("/plants/{plant_id}")
    async def plant(plant_id: int, _: RequireUser) -> dict[str, int]:
        return {"plant_id": plant_id}

    return router


def stub_create_api_app(settings: Settings, **kwargs: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(stub_api_router(settings, **kwargs))
    return app


STUB_API = types.SimpleNamespace(api_router=stub_api_router, create_api_app=stub_create_api_app)


@pytest.fixture
def stub_api(monkeypatch: pytest.MonkeyPatch) -> None:
    real = targets._optional_module

    def optional(name: str) -> Any:
        if name == "plant_analytics.api.app":
            return STUB_API
        if name.startswith("plant_analytics.pipeline."):
            return None
        return real(name)

    monkeypatch.setattr(targets, "_optional_module", optional)


@contextmanager
def running(
    target: str, settings: Settings, fast_login: bool = True
) -> Iterator[tuple[TestClient, targets.Process]]:
    """The target's app in-process (lifespan included) and its Process."""
    process = targets.start(target, settings)
    service = process.state.get("auth_service")
    if fast_login and isinstance(service, AuthService):
        service.policy = LoginPolicy(base_delay_seconds=0.001, max_delay_seconds=0.01)
    with TestClient(build_app(process), raise_server_exceptions=False) as client:
        yield client, process


def make_user(
    process: targets.Process,
    email: str = "ana@example.com",
    role: Role = Role.ANALYST,
    password: str = PASSWORD,
) -> int:
    service: AuthService = process.state["auth_service"]
    return service.create_user(email, password, role).id


def login(
    client: TestClient, email: str = "ana@example.com", password: str = PASSWORD
) -> dict[str, Any]:
    response = client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
