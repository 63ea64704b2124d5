"""docker-compose.yml, .env.example and the Dockerfile, checked as files: no Docker engine
runs here. The Compose specification's JSON schema is vendored beside this file
(compose-spec.schema.json, from the npm package dclint 3.1.0, which ships
compose-spec/compose-spec's schema/compose-spec.json, Apache-2.0)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.schema.json")
TARGETS = {"gateway", "auth", "api", "worker", "scheduler"}
SECRET_LIKE = re.compile(r"PASSWORD|SECRET|TOKEN|FERNET|_PASS$")
REQUIRED_VARIABLE = re.compile(r"(?<!\$)\$\{(\w+):\?[^}]*\}")
ANY_VARIABLE = re.compile(r"(?<!\$)\$\{(\w+)(?::?[-?][^}]*)?\}")
ONE_SHOTS = {"migrate", "minio-create-bucket", "airflow-init"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def published_ports(service: dict[str, Any]) -> set[int]:
    """Container ports a service publishes on the host ("addr:host:container")."""
    return {int(str(port).rsplit(":", 1)[-1]) for port in service.get("ports", [])}


def platform_target(service: dict[str, Any]) -> str:
    return str(service.get("environment", {}).get("PA_TARGET", ""))


def test_compose_file_matches_the_compose_specification_without_docker(
    compose: dict[str, Any],
) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_vendored_schema_catches_a_broken_file(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    broken = json.loads(json.dumps(compose))
    broken["services"]["gateway"]["depends_on"]["auth"]["condition"] = "service_up"
    broken["services"]["api"]["restart_policy"] = "always"
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) >= 2


def test_service_graph_runs_every_target_once(services: dict[str, dict[str, Any]]) -> None:
    targets = [platform_target(s) for s in services.values() if platform_target(s) in TARGETS]
    assert sorted(targets) == sorted(TARGETS)
    for name in TARGETS:
        assert platform_target(services[name]) == name
        assert services[name]["image"] == services["migrate"]["image"]


def test_platform_starts_after_its_backing_services_and_migrations(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in TARGETS:
        needs = {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}
        assert needs["migrate"] == "service_completed_successfully"
        assert needs["minio-create-bucket"] == "service_completed_successfully"
        for backing in ["postgres", "redis", "rabbitmq"]:
            assert needs[backing] == "service_healthy", (name, backing)
    gateway = services["gateway"]["depends_on"]
    assert gateway["auth"]["condition"] == gateway["api"]["condition"] == "service_healthy"
    assert services["migrate"]["command"] == ["plant-analytics", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["minio-create-bucket"]["depends_on"]["minio"]["condition"] == "service_healthy"


def test_every_dependency_waited_on_has_a_health_check(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name not in ONE_SHOTS:
            assert "test" in service.get("healthcheck", {}), f"{name} has no healthcheck"
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            if spec["condition"] == "service_completed_successfully":
                assert dependency in ONE_SHOTS
                assert services[dependency].get("restart") == "no"
    # `compose up --wait` counts a one-shot's exit as success only when a long-running
    # service waits for it to complete.
    adopted = {
        dependency for name, service in services.items() if name not in ONE_SHOTS
        for dependency, spec in service.get("depends_on", {}).items()
        if spec["condition"] == "service_completed_successfully"
    }  # fmt: skip
    assert adopted == ONE_SHOTS


def test_published_ports_match_the_documented_ones(services: dict[str, dict[str, Any]]) -> None:
    expected = {
        "gateway": {8000}, "auth": {5001}, "rabbitmq": {15672}, "minio": {9001},
        "airflow-apiserver": {8080}, "prometheus": {9090}, "grafana": {3000},
    }  # fmt: skip
    published = {name: published_ports(s) for name, s in services.items() if s.get("ports")}
    assert published == expected
    assert services["grafana"]["ports"] == ["${PA_PUBLISH_ADDRESS:-127.0.0.1}:3001:3000"]


def test_the_api_is_reachable_only_inside_the_stack(services: dict[str, dict[str, Any]]) -> None:
    api = services["api"]
    assert "ports" not in api
    assert api["networks"] == ["backend"]
    # The gateway shares a network with it and knows where it is.
    assert "backend" in services["gateway"]["networks"]
    assert services["gateway"]["environment"]["PA_API_URL"] == "http://api:3000"
    assert services["gateway"]["environment"]["PA_AUTH_URL"] == "http://auth:5001"


def test_airflow_serves_its_ui_from_the_api_server_with_the_dag_mounted(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["airflow-apiserver"]["command"] == ["api-server"]
    for name in ["airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"]:
        service = services[name]
        assert service["build"]["target"] == "airflow"
        assert service["environment"]["PA_DATABASE_URL"].startswith("postgresql://")
        assert "./airflow/dags:/opt/airflow/dags:ro" in service["volumes"]
        assert (
            service["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        )


def test_monitoring_mounts_the_repositorys_config(services: dict[str, dict[str, Any]]) -> None:
    mounts = [
        v.split(":")[0] for name in ["prometheus", "grafana"] for v in services[name]["volumes"]
        if v.startswith("./")
    ]  # fmt: skip
    assert mounts
    for source in mounts:
        assert (ROOT / source).exists(), source


def _environment_values(compose: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for name, service in compose["services"].items():
        for key, value in service.get("environment", {}).items():
            rows.append((name, key, str(value)))
    return rows


def test_no_secret_is_baked_into_the_compose_file(compose: dict[str, Any]) -> None:
    for service, key, value in _environment_values(compose):
        if SECRET_LIKE.search(key):
            assert REQUIRED_VARIABLE.fullmatch(value), (
                f"{service}.{key} must be ${{VAR:?...}}, not {value!r}"
            )
        for variable in REQUIRED_VARIABLE.findall(value):
            assert SECRET_LIKE.search(variable), f"{service}.{key}: only secrets are required"


def test_env_example_lists_every_variable_with_empty_secrets() -> None:
    example = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            example[key] = value
    used = set(ANY_VARIABLE.findall(COMPOSE_FILE.read_text()))
    assert used <= set(example), used - set(example)
    for key, value in example.items():
        if SECRET_LIKE.search(key):
            assert value == "", f".env.example must not carry a value for {key}"


def test_compose_up_helper_fills_the_secrets_it_finds_empty(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("init_env", ROOT / "deploy/compose/init_env.py")
    assert spec
    assert spec.loader
    init_env: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(init_env)
    target = tmp_path / ".env"
    init_env.ROOT = tmp_path
    init_env.write_env(ROOT / ".env.example", target)
    values = init_env.read_env(target)
    for key, value in values.items():
        if SECRET_LIKE.search(key):
            assert len(value) >= 32, key
            assert re.fullmatch(r"[A-Za-z0-9_=-]+", value), "secrets sit in URLs unescaped"
    assert values["PA_ENV"] == "production"
    assert target.stat().st_mode & 0o077 == 0


# --- The image ----------------------------------------------------------------------------------


def test_dockerfile_builds_the_dashboard_and_runs_as_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.MULTILINE | re.IGNORECASE)
    assert [alias for _, alias in stages] == ["web", "python-build", "wheels", "airflow", "runtime"]
    assert "npm ci" in text
    assert "npm run build" in text
    assert "COPY --from=web /web/dist" in text
    user = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert user
    assert not user[-1].startswith(("0", "root"))
    assert re.search(r"^HEALTHCHECK\s", text, re.MULTILINE)
    assert re.search(r"^ARG TARGET=all$", text, re.MULTILINE)
    assert "--target" in text.strip().splitlines()[-1]


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", ".env", "var", "web/node_modules", "web/dist"} <= ignored
    for needed in ["src", "pyproject.toml", "README.md", "web", "data"]:
        assert needed not in ignored
