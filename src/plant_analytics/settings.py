"""One settings object for the whole platform, read from ``PA_*`` environment variables."""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_MARKER = "change-me"
DEFAULT_ADMIN_EMAIL = "admin@plantanalytics.com"
DEFAULT_ADMIN_PASSWORD = "password123"  # noqa: S105 - the documented demo login, development only


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Configuration of every target. Each field is the env var ``PA_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PA_", extra="ignore", case_sensitive=False)

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Field(default=Path("var"), description="Where embedded state lives.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to a SQLite file under data_dir."
    )
    redis_url: str | None = Field(default=None, description="redis://…; unset = in-memory cache.")
    broker_url: str | None = Field(default=None, description="amqp://…; unset = in-process queue.")
    storage_url: str | None = Field(
        default=None, description="s3://bucket[/prefix]; unset = a folder under data_dir."
    )
    s3_endpoint_url: str | None = Field(default=None, description="For MinIO or another S3 API.")

    # Services
    host: str = "127.0.0.1"
    gateway_port: int = 8000
    auth_port: int = 5001
    api_port: int = 3000
    ops_port: int = Field(default=9100, description="Ops endpoints of the worker and scheduler.")
    auth_url: str = "http://127.0.0.1:5001"
    api_url: str = "http://127.0.0.1:3000"
    public_url: str = "http://localhost:8000"
    jwt_issuer: str = "plant-analytics"
    jwt_audience: str = "plant-analytics-api"
    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    signing_key_file: Path | None = Field(
        default=None, description="PEM Ed25519 private key; generated under data_dir if unset."
    )
    internal_secret: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET_MARKER),
        description="Key the gateway uses to sign requests it forwards to the API.",
    )
    admin_email: str = DEFAULT_ADMIN_EMAIL
    admin_password: SecretStr = SecretStr(DEFAULT_ADMIN_PASSWORD)
    rate_limit_per_minute: int = Field(default=600, description="Per user, at the gateway.")
    rate_limit_ip_per_minute: int = Field(default=1200, description="Per client IP, at the gateway.")
    redis_key_prefix: str = "pa"
    gateway_signature_max_age_seconds: int = 30
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    jwks_cache_seconds: int = 300
    startup_timeout_seconds: int = 30
    dashboard_dir: Path = Field(
        default=Path(__file__).resolve().parents[2] / "web" / "dist",
        description="The built dashboard the gateway serves at /.",
    )
    max_upload_bytes: int = 64 * 1024 * 1024
    scan_interval_seconds: int = 3600
    cache_ttl_seconds: int = 3600
    worker_concurrency: int = 1
    max_retries: int = Field(default=3, description="Retries of a job that failed unexpectedly.")
    retry_backoff_seconds: float = Field(default=5.0, description="First retry delay; doubles.")
    queue_name: str = "plant_analytics.ingest"
    queue_prefetch: int = Field(default=1, description="Unacknowledged jobs per worker.")
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            problems = []
            if self.internal_secret.get_secret_value() == DEFAULT_SECRET_MARKER:
                problems.append("PA_INTERNAL_SECRET")
            if self.admin_password.get_secret_value() == DEFAULT_ADMIN_PASSWORD:
                problems.append("PA_ADMIN_PASSWORD")
            if problems:
                raise ValueError(
                    "refusing to start in production with default secrets: set "
                    + ", ".join(problems)
                    + " to values of your own (see docs/deployment.md)"
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'plant_analytics.db').resolve()}"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "storage"

    def redacted(self) -> dict[str, Any]:
        """The configuration with secrets hidden, for the config endpoint and logs."""
        out: dict[str, Any] = {}
        for key, value in self.model_dump(mode="json").items():
            if isinstance(getattr(self, key), SecretStr):
                out[key] = "***"
            elif isinstance(value, str) and "://" in value and "@" in value:
                scheme, rest = value.split("://", 1)
                out[key] = f"{scheme}://***@{rest.split('@', 1)[1]}"
            else:
                out[key] = value
        return out


@lru_cache
def get_settings() -> Settings:
    return Settings()
