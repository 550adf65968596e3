"""Settings: every knob Trellis has, read once from `TRELLIS_*` environment variables and `.env`.

The README's settings table is the user-facing copy of this class; keep them in step.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import secrets
import stat
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "TRELLIS_"


class Mode(StrEnum):
    EMBEDDED = "embedded"
    DISTRIBUTED = "distributed"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    env: Literal["development", "test", "production"] = Field(
        "development",
        description="Deployment environment. `production` insists on an explicit secret key in distributed mode.",
    )
    data_dir: Path = Field(
        Path(".trellis"), description="Where the SQLite database, generated secrets and local files live."
    )
    database_url: str | None = Field(
        None,
        description="PostgreSQL URL (`postgresql://user:pass@host/db`). Unset: SQLite in the data directory.",
    )
    redis_url: str | None = Field(
        None, description="Redis URL. Set together with a PostgreSQL database URL for distributed mode."
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signing key for tokens. Unset: generated once into `<data_dir>/secrets.json` (mode 0600).",
    )
    key_provider: str = Field(
        "local",
        description="Where the master keys that wrap stored secrets live: `local` (TRELLIS_MASTER_KEY, or "
        "`<data_dir>/master_keys.json`). Cloud KMS adapters register further names.",
    )
    master_key: SecretStr | None = Field(
        None,
        description="Base64 of 32 random bytes: the master key for secrets at rest, the same in every process. "
        "Unset: generated once into `<data_dir>/master_keys.json` (mode 0600).",
    )
    master_key_previous: SecretStr | None = Field(
        None,
        description="While replacing TRELLIS_MASTER_KEY: the old key, still read until "
        "`trellis keys rotate --rewrap-only` has moved every secret to the new one.",
    )

    access_token_minutes: int = Field(15, ge=1, le=1440, description="Lifetime of an access token (JWT).")
    refresh_token_days: int = Field(7, ge=1, le=365, description="Lifetime of a sign-in session's refresh token.")
    auth_cache_seconds: float = Field(
        1.0,
        ge=0,
        le=60,
        description="How long an API process reuses what it read about a bearer credential. Changes made through "
        "this process (sign-out, revocation) apply at once; another process sees them, and expiry, at most this "
        "late. `0` reads the database on every request.",
    )
    smtp_host: str | None = Field(None, description="SMTP server for sign-in codes and invitations. Unset: dev outbox.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_username: str | None = Field(None, description="SMTP user name, if the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_from: str = Field("Trellis <no-reply@localhost>", description="Sender of the mail Trellis sends.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="`starttls` (port 587), `tls` (implicit TLS, port 465) or `none` (local relays)."
    )

    host: str = Field("127.0.0.1", description="Address `trellis serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `trellis serve` listens on.")
    public_url: str | None = Field(
        None, description="URL users open; printed at start-up. Default: http://<host>:<port>."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins allowed by CORS. Empty: no cross-origin access.",
    )
    max_request_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest request body accepted; larger ones get 413."
    )
    rate_limit_per_ip: str = Field(
        "1200/minute",
        description="Requests each client IP may make, as `N/<unit>` (`1200/minute`, `100/10s`); "
        "health and metrics endpoints are exempt. `0` turns it off.",
    )
    rate_limit_per_user: str = Field(
        "1000/hour",
        description="Requests each signed-in user or API token owner may make (seed 004: 1000/hour). `0` turns it off.",
    )
    idempotency_ttl_seconds: int = Field(
        86400,
        ge=1,
        description="How long the response to a request with an `Idempotency-Key` (or `request_id`) is kept "
        "for replay.",
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    log_format: Literal["json", "console"] = Field(
        "json", description="`json` (one object per line) or `console` (coloured, for a terminal)."
    )
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics at `/metrics`.")
    otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP collector base URL (e.g. `http://localhost:4318`); enables tracing."
    )
    service_name: str = Field("trellis", description="Service name reported in traces.")

    db_pool_size: int = Field(10, ge=1, description="PostgreSQL connection pool size per process.")
    db_max_overflow: int = Field(20, ge=0, description="Extra PostgreSQL connections allowed above the pool.")
    db_pool_recycle_seconds: int = Field(1800, ge=0, description="Recycle pooled connections after this age.")
    auto_migrate: bool | None = Field(
        None,
        description="Apply migrations when the server starts. Default: on in embedded mode, off in distributed.",
    )

    job_concurrency: int = Field(4, ge=1, le=256, description="Jobs run at once per process (embedded pool or worker).")
    job_lease_seconds: float = Field(
        30.0,
        gt=0,
        description="How long a worker owns a running job without a heartbeat before it is requeued.",
    )
    job_max_attempts: int = Field(5, ge=1, description="Default attempts per job before it is marked failed.")
    job_backoff_seconds: float = Field(2.0, ge=0, description="First retry delay; doubles per attempt.")
    job_backoff_max_seconds: float = Field(300.0, ge=0, description="Upper bound on a retry delay.")
    job_sweep_interval_seconds: float = Field(
        5.0, gt=0, description="How often lapsed leases are swept and undelivered jobs re-sent."
    )
    workflow_max_steps: int = Field(
        10_000, ge=10, le=1_000_000, description="Most graph steps one execution may take (loops count each pass)."
    )
    workflow_scheduler_interval_seconds: float = Field(
        5.0, gt=0, description="How often cron schedules are checked for due slots (in every job-processing process)."
    )
    execution_retention_days: float = Field(
        30.0, ge=0, description="Finished executions older than this are deleted with their checkpoints; 0 keeps all."
    )
    execution_retention_interval_seconds: float = Field(
        3600.0, gt=0, description="How often the retention job looks for executions to prune."
    )
    outbound_denied_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"],
        description="Comma-separated CIDR networks that HTTP request nodes may not call (checked on every resolved "
        "address). Default: link-local, where cloud metadata services live; add `10.0.0.0/8,127.0.0.0/8,...` to keep "
        "workflows off internal services, or set empty to allow all.",
    )
    job_redispatch_seconds: float = Field(
        60.0,
        gt=0,
        description="Distributed mode: a due job not picked up for this long is sent to the broker again.",
    )
    job_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra comma-separated Python modules whose job handlers are loaded.",
    )
    worker_metrics_port: int = Field(
        0, ge=0, le=65535, description="`trellis worker`: port for its own `/metrics`. 0 turns it off."
    )
    mcp_allow_stdio: bool = Field(
        True,
        description="Allow stdio MCP servers (they run a command on this host; workspace owners/admins register them).",
    )
    mcp_connect_timeout_seconds: float = Field(
        30.0, gt=0, le=600, description="Time an MCP server gets to start and complete the MCP handshake."
    )
    mcp_tool_timeout_seconds: float = Field(
        60.0, gt=0, le=3600, description="Default time an MCP tool call may take (nodes may set their own)."
    )
    mcp_idle_timeout_seconds: float = Field(
        300.0, gt=0, description="An MCP session unused this long is closed (its stdio process stopped)."
    )
    prompt_token_budget: int = Field(
        4000,
        ge=200,
        le=200_000,
        description="Tokens (cl100k_base) a generated prompt may use; the least relevant context is left out first, "
        "never the task or its acceptance criteria.",
    )
    prompt_sets_kept: int = Field(
        5,
        ge=1,
        le=1000,
        description="Prompt sets (every task's prompts from one generation) kept per project; storing a new set "
        "deletes the older ones past this count. The newest set, which exports and traceability read, always stays.",
    )
    max_repo_size_mb: int = Field(
        100,
        ge=1,
        le=100_000,
        description="Seed 001 `MAX_REPO_SIZE_MB`: largest repository (packed Git data) that may be connected; "
        "bigger ones are refused with 413 before or while downloading, never in full.",
    )
    git_clone_timeout: int = Field(
        300, ge=5, le=86_400, description="Seed 001 `GIT_CLONE_TIMEOUT`: seconds one clone or fetch may take."
    )
    repo_precheck_timeout_seconds: int = Field(
        60, ge=5, le=3600, description="Seconds the size pre-check of `POST /code/connect` may take before a 502."
    )
    sandbox_base_path: Path | None = Field(
        None,
        description="Seed 001 `SANDBOX_BASE_PATH`: where clones live, one sandbox per repository. "
        "Unset: `<data_dir>/repos`.",
    )
    repo_local_roots: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated directories under which `file://` and local-path repositories may be "
        "connected. Empty (default): local repositories are refused.",
    )
    repo_max_files: int = Field(
        100_000, ge=1, description="Most files a cloned working tree may have; more fails the clone."
    )
    repo_max_worktree_mb: int = Field(
        1024, ge=1, description="Largest checked-out working tree (MB, uncompressed); bigger fails the clone."
    )
    repo_allow_http: bool = Field(
        False, description="Allow plain `http://` Git URLs (in-house servers, tests). HTTPS only when off."
    )
    github_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["github.com"],
        description="Comma-separated hosts (`host[:port]`) served by GitHub or GitHub Enterprise.",
    )
    github_api_url: str = Field(
        "https://api.github.com", description="GitHub REST API base, for the repository size pre-check."
    )
    gitlab_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["gitlab.com"], description="Comma-separated hosts served by GitLab."
    )
    gitlab_api_url: str = Field("https://gitlab.com/api/v4", description="GitLab REST API base (v4).")
    bitbucket_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["bitbucket.org"], description="Comma-separated hosts served by Bitbucket Cloud."
    )
    bitbucket_api_url: str = Field("https://api.bitbucket.org/2.0", description="Bitbucket Cloud REST API base.")

    llm_provider: Literal["openai", "anthropic", "ollama"] | None = Field(
        None,
        description="Instance-wide LLM provider for agents that name none: `openai` (any OpenAI-compatible "
        "server: OpenAI, vLLM, llama.cpp, Ollama's `/v1`), `anthropic`, or `ollama` (native API). "
        "Unset: agents must name a provider and credential. See docs/llm.md.",
    )
    llm_base_url: str | None = Field(
        None,
        description="Base URL for TRELLIS_LLM_PROVIDER (e.g. `http://localhost:11434/v1`, "
        "`http://vllm:8000/v1`). Unset: the provider's public API.",
    )
    llm_model: str | None = Field(None, description="Model used by agents that name none (e.g. `gpt-4o-mini`).")
    llm_api_key: SecretStr | None = Field(
        None, description="API key for TRELLIS_LLM_PROVIDER. Workspace credentials chosen per agent take precedence."
    )
    llm_timeout_seconds: float = Field(
        120.0, gt=0, le=3600, description="Seconds one LLM request attempt may take (streams: between two chunks)."
    )
    llm_max_attempts: int = Field(
        3, ge=1, le=10, description="Attempts per LLM request on rate limits, 5xx and timeouts (the first counts)."
    )
    llm_backoff_seconds: float = Field(
        1.0, ge=0, description="First LLM retry wait without `Retry-After`; doubles per attempt, half of it random."
    )
    llm_backoff_max_seconds: float = Field(30.0, ge=0, description="Upper bound on one LLM retry wait.")
    llm_retry_after_max_seconds: float = Field(
        60.0,
        ge=0,
        description="Longest `Retry-After` an LLM call waits out in place; longer ones fail as transient at once "
        "(the workflow node's retry policy takes over).",
    )
    llm_prices: Annotated[dict[str, dict[str, float]], NoDecode] = Field(
        default_factory=dict,
        description='JSON `{"model": {"input_per_mtok": 2.5, "output_per_mtok": 10}}`: USD per million tokens, '
        "added to and overriding the built-in table in docs/llm.md. A model in neither has no cost (null).",
    )

    @field_validator("llm_base_url")
    @classmethod
    def _check_llm_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip().rstrip("/")

    @field_validator("llm_prices", mode="before")
    @classmethod
    def _parse_llm_prices(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("llm_prices")
    @classmethod
    def _check_llm_prices(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for model, price in value.items():
            if set(price) != {"input_per_mtok", "output_per_mtok"}:
                raise ValueError(f"model {model!r} needs exactly input_per_mtok and output_per_mtok")
            if min(price.values()) < 0:
                raise ValueError(f"model {model!r} has a negative price")
        return value

    @field_validator(
        "cors_origins",
        "job_modules",
        "repo_local_roots",
        "github_hosts",
        "gitlab_hosts",
        "bitbucket_hosts",
        "outbound_denied_networks",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("outbound_denied_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(f"{network!r} is not a CIDR network (like 10.0.0.0/8)") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        if value.startswith(("postgresql+psycopg://", "sqlite://", "sqlite+pysqlite://")):
            return value
        raise ValueError("must be a postgresql:// URL (or sqlite:///path for a single machine)")

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value.strip()

    @field_validator("rate_limit_per_ip", "rate_limit_per_user")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        # Imported here: the rate-limit module imports observability, which imports this module.
        from trellis.core.ratelimit import parse_rate_limit

        parse_rate_limit(value)
        return value.strip()

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        # HS256 keys shorter than the hash (32 bytes) can be brute-forced (RFC 7518 section 3.2).
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters; generate one with `openssl rand -base64 48`")
        return value

    @field_validator("otlp_endpoint")
    @classmethod
    def _check_otlp(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL of an OTLP/HTTP collector")
        return value.rstrip("/")

    @field_validator("master_key", "master_key_previous")
    @classmethod
    def _check_master_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            raw = base64.b64decode(value.get_secret_value().strip(), validate=True)
        except ValueError:
            raise ValueError("must be base64 (generate one with: openssl rand -base64 32)") from None
        if len(raw) != 32:
            raise ValueError(f"must decode to 32 bytes, got {len(raw)} (generate one with: openssl rand -base64 32)")
        return SecretStr(value.get_secret_value().strip())

    @model_validator(mode="after")
    def _redis_needs_shared_database(self) -> Settings:
        if self.redis_url and not self.database_url:
            raise ValueError(
                "TRELLIS_REDIS_URL is set but TRELLIS_DATABASE_URL is not: distributed mode needs a "
                "database every process shares (PostgreSQL)"
            )
        if self.master_key_previous is not None and self.master_key is None:
            raise ValueError("TRELLIS_MASTER_KEY_PREVIOUS is set but TRELLIS_MASTER_KEY is not")
        if self.env == "production" and self.redis_url and self.secret_key is None:
            raise ValueError(
                "TRELLIS_SECRET_KEY must be set in production distributed mode, the same value in every process"
            )
        return self

    @property
    def mode(self) -> Mode:
        return Mode.DISTRIBUTED if self.redis_url else Mode.EMBEDDED

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'trellis.db').resolve()}"

    @property
    def resolved_sandbox_base_path(self) -> Path:
        """Where repository sandboxes live (SANDBOX_BASE_PATH), absolute."""
        return (self.sandbox_base_path or self.data_dir / "repos").resolve()

    @property
    def dev_outbox_enabled(self) -> bool:
        """Mail goes to the console and `/api/v1/dev/outbox` only without SMTP and outside production."""
        return self.smtp_host is None and self.env != "production"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        return self.auto_migrate if self.auto_migrate is not None else self.mode is Mode.EMBEDDED

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "localhost" if self.host in ("0.0.0.0", "::", "127.0.0.1") else self.host
        return f"http://{host}:{self.port}"

    @cached_property
    def signing_key(self) -> str:
        """The token signing key: configured, or generated once into the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return load_or_create_local_secrets(self.data_dir)["secret_key"]


SECRETS_FILE = "secrets.json"


def ensure_data_dir(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return data_dir


def load_or_create_local_secrets(data_dir: Path) -> dict[str, str]:
    """Read `<data_dir>/secrets.json`, creating it with fresh random values (mode 0600) on first use."""
    ensure_data_dir(data_dir)
    path = data_dir / SECRETS_FILE
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    generated = {"secret_key": secrets.token_urlsafe(48)}
    # O_EXCL: two processes starting at once must not both write (and disagree on) the key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        existing: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return existing
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(generated, handle)
    return generated


class SettingsError(Exception):
    """Raised with a one-line, user-facing explanation naming the bad setting."""


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning pydantic's report into one line per bad `TRELLIS_*` variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if field:
            problems.append(f"invalid setting {ENV_PREFIX}{field.upper()}: {message}")
        else:
            problems.append(f"invalid settings: {message}")
    return "; ".join(problems)
