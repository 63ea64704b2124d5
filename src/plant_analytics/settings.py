"""One settings object for the whole platform, read from ``PA_*`` environment variables."""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_MARKER = "change-me"  # noqa: S105 - the placeholder production refuses
DEFAULT_ADMIN_EMAIL = "admin@plantanalytics.com"
DEFAULT_ADMIN_PASSWORD = "password123"  # noqa: S105 - the documented demo login, development only


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Configuration of every target. Each field is the env var ``PA_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PA_", extra="ignore", case_sensitive=False)

    env: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="development, test or production; production refuses default secrets.",
    )
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
    sample_dir: Path | None = Field(
        default=None, description="The sample eGRID files `seed` loads; default: data/egrid."
    )

    # Services
    host: str = Field(default="127.0.0.1", description="Address to bind; 0.0.0.0 in containers.")
    gateway_port: int = Field(default=8000, description="The public port (all-in-one, gateway).")
    auth_port: int = Field(default=5001, description="Port of the auth target.")
    api_port: int = Field(default=3000, description="Port of the api target (internal).")
    ops_port: int = Field(default=9100, description="Ops endpoints of the worker and scheduler.")
    auth_url: str = Field(
        default="http://127.0.0.1:5001", description="Where the gateway finds auth."
    )
    api_url: str = Field(
        default="http://127.0.0.1:3000", description="Where the gateway finds the API."
    )
    public_url: str = Field(default="http://localhost:8000", description="The address users see.")
    jwt_issuer: str = Field(default="plant-analytics", description="JWT `iss`.")
    jwt_audience: str = Field(default="plant-analytics-api", description="JWT `aud`.")
    access_token_ttl_seconds: int = Field(default=3600, description="Access token lifetime.")
    refresh_token_ttl_seconds: int = Field(
        default=30 * 24 * 3600, description="Refresh token lifetime."
    )
    signing_key_file: Path | None = Field(
        default=None, description="PEM Ed25519 private key; generated under data_dir if unset."
    )
    internal_secret: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET_MARKER),
        description="Key the gateway uses to sign requests it forwards to the API.",
    )
    admin_email: str = Field(default=DEFAULT_ADMIN_EMAIL, description="The first admin's login.")
    admin_password: SecretStr = Field(
        default=SecretStr(DEFAULT_ADMIN_PASSWORD),
        description="The first admin's password; must be set outside development.",
    )
    rate_limit_per_minute: int = Field(default=600, description="Per user, at the gateway.")
    rate_limit_ip_per_minute: int = Field(
        default=1200, description="Per client IP, at the gateway."
    )
    redis_key_prefix: str = Field(default="pa", description="Prefix of every Redis key.")
    gateway_signature_max_age_seconds: int = Field(
        default=30, description="How old a gateway signature the API accepts."
    )
    login_max_failures: int = Field(
        default=5,
        description="Failed logins of one account from one client before that client must "
        "wait to try it again (other clients are not affected).",
    )
    login_lockout_seconds: int = Field(
        default=900,
        description="The longest such wait: it starts at 30 s and doubles per further failure, "
        "up to this.",
    )
    jwks_cache_seconds: int = Field(default=300, description="How long the JWKS is cached.")
    startup_timeout_seconds: int = Field(
        default=30, description="How long a target waits for its dependencies at start-up."
    )
    dashboard_dir: Path = Field(
        default=Path(__file__).resolve().parents[2] / "web" / "dist",
        description="The built dashboard the gateway serves at /.",
    )
    max_upload_bytes: int = Field(default=64 * 1024 * 1024, description="Largest upload accepted.")
    scan_interval_seconds: int = Field(
        default=3600, description="How often the scheduler scans incoming/."
    )
    cache_ttl_seconds: int = Field(default=3600, description="Lifetime of cached query results.")
    cache_max_entries: int = Field(default=10_000, description="Entries of the in-memory cache.")
    worker_concurrency: int = Field(default=1, description="Jobs one worker runs at once.")
    max_retries: int = Field(default=3, description="Retries of a job that failed unexpectedly.")
    retry_backoff_seconds: float = Field(default=5.0, description="First retry delay; doubles.")
    queue_name: str = Field(default="plant_analytics.ingest", description="The jobs queue.")
    queue_prefetch: int = Field(default=1, description="Unacknowledged jobs per worker.")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    max_body_bytes: int = Field(
        default=64 * 1024,
        description="Largest request body outside uploads (JSON); larger ones get a 413 "
        "before they are read. Uploads are limited by PA_MAX_UPLOAD_BYTES.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated IPs or CIDRs of the proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty: none (the TCP peer is the client).",
    )
    rate_limit_anonymous_per_minute: int = Field(
        default=60,
        description="Per client IP, at the gateway: /api requests without a valid token.",
    )
    rate_limit_no_cache_per_minute: int = Field(
        default=30,
        description="Per user, at the gateway: API GETs with Cache-Control: no-cache "
        "(admins only; others are served from the cache).",
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        description="Time a client has to send a request's headers (from connecting or "
        "its first byte); then the connection is closed.",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        description="Longest pause while a request body is sent; then the connection is closed.",
    )
    keep_alive_timeout_seconds: int = Field(
        default=5, description="How long an idle keep-alive connection stays open."
    )
    max_connections: int = Field(
        default=1000,
        description="Concurrent connections and requests per process; beyond, 503.",
    )
    max_connections_per_client: int = Field(
        default=256,
        description="Concurrent connections per client IP; beyond, new ones are refused "
        "(above the gateway's pool of 200 to each service).",
    )
    max_header_bytes: int = Field(
        default=64 * 1024, description="Largest request head (request line and headers); 431."
    )
    fetch_base_url: str | None = Field(
        default=None,
        description="Where `fetch` downloads the release catalogue's files from: each URL's "
        "path under this origin (a mirror, or a local server in tests); unset: EPA's URLs.",
    )
    fetch_catalogue: Path | None = Field(
        default=None,
        description="A release catalogue CSV used instead of the bundled "
        "egrid/data/releases.csv (same columns).",
    )
    fetch_timeout_seconds: float = Field(
        default=60.0, description="Connect and read timeout of a download, in seconds."
    )
    fetch_retries: int = Field(
        default=3,
        description="Times a dropped download is resumed (HTTP Range) before `fetch` gives up.",
    )
    watch_enabled: bool = Field(
        default=False,
        description="Watch the release catalogue's URLs for new revisions (scheduler and "
        "Airflow) and fetch a changed file; off by default.",
    )
    watch_interval_seconds: int = Field(
        default=86400, description="How often the watch checks the catalogue's URLs."
    )
    stale_upload_seconds: int = Field(
        default=21600,
        ge=60,
        description="A partial upload untouched for this long (a crash mid-upload) is deleted "
        "at start and by the scheduler: spooled files, and S3 multipart uploads never completed.",
    )

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

    @classmethod
    def documentation(cls) -> str:
        """The settings as a Markdown table, for docs/operations.md (``make docs``)."""
        lines = ["| variable | default | meaning |", "|---|---|---|"]
        for name, field in cls.model_fields.items():
            default = field.default
            if isinstance(default, SecretStr):
                default = "(secret)"
            elif isinstance(default, enum.Enum):
                default = default.value
            elif name == "dashboard_dir":
                default = "web/dist"
            shown = "" if default is None else f"`{default}`"
            lines.append(f"| `PA_{name.upper()}` | {shown} | {field.description or ''} |")
        return "\n".join(lines) + "\n"

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
