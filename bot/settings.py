"""Settings: one frozen object, built once in `main()` and passed down.

Sources, highest priority first: keyword arguments, environment variables (`CODEMONKEY_*`,
plus the providers' standard variables such as `ANTHROPIC_API_KEY`), a YAML config file
(`CODEMONKEY_CONFIG`, or `codemonkey.yml` in the working directory), then defaults.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import pydantic_settings
import yaml
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from agents.providers.model_ids import check_model_id
from agents.providers.redact import redact_url
from bot.backend_urls import checked_database_url, checked_redis_url
from bot.model_settings import checked_fallback_models, checked_role_models

__all__ = ["Settings", "SettingsError", "load_settings", "redact_url"]

DEFAULT_CONFIG_FILE = "codemonkey.yml"


class SettingsError(Exception):
    """Settings could not be loaded; the message names the variable and the fix."""


class _YamlFileSource(PydanticBaseSettingsSource):
    """Reads settings from a YAML file whose keys are the field names (lower case)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self._data: dict[str, Any] = {}
        if path is not None and path.is_file():
            try:
                loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" at line {mark.line + 1}" if mark is not None else ""
                raise SettingsError(
                    f"{path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}; "
                    "fix the file (a mapping of setting names to values)"
                ) from None
            if not isinstance(loaded, dict):
                raise SettingsError(f"{path}: the config file must be a YAML mapping of settings")
            self._data = {str(k).lower(): v for k, v in loaded.items()}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


def _env(name: str) -> AliasChoices:
    """Accept both `CODEMONKEY_<NAME>` and the well-known unprefixed variable."""
    return AliasChoices(f"CODEMONKEY_{name}", name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CODEMONKEY_",
        frozen=True,
        extra="ignore",
        populate_by_name=True,
    )

    # Service
    data_dir: Path = Path(".codemonkey")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    secret_key: SecretStr | None = None

    # Backends: unset means the embedded default.
    database_url: str | None = None
    redis_url: str | None = None
    chroma_url: str | None = None
    # Prefix of every Redis key (cache, locks, rate counters): lets deployments share a Redis.
    redis_key_prefix: str = Field(default="codemonkey:", min_length=1)

    # Queue
    queue_name: str = "codemonkey"
    worker_threads: int = Field(default=4, ge=1, le=64)
    task_lease_seconds: float = Field(default=30.0, gt=0)
    task_max_attempts: int = Field(default=3, ge=1)
    task_retry_base_seconds: float = Field(default=2.0, ge=0)
    task_retry_max_seconds: float = Field(default=300.0, ge=0)
    # A killed worker's task runs again within lease + reaper interval.
    task_reaper_interval_seconds: float = Field(default=5.0, gt=0)

    # Agent tools: paths agents may not change, and limits for the commands they run.
    protected_paths: list[str] = Field(default_factory=lambda: [".github/workflows/**"])
    # auto: a container when an image is set and Podman or Docker works, else bubblewrap,
    # else refuse; bwrap: bubblewrap or refuse; podman/docker: a container of the image or
    # refuse; unsafe-host: commands on the host, an explicit opt-in.
    sandbox_backend: Literal["auto", "bwrap", "podman", "docker", "unsafe-host"] = "auto"
    # The image of the container backends when a repository names none (`image:`).
    sandbox_image: str | None = Field(
        default=None, min_length=1, max_length=300, pattern=r"^[A-Za-z0-9][\w./:@-]*$"
    )
    sandbox_bwrap_path: str = "bwrap"
    # Each command gets its own cgroup (the kernel bounds its processes and memory).
    # auto: cgroup v2 under `sandbox_cgroup_parent` (or the worker's own, if it delegates
    # pids), else cgroup v1 inside the worker's own pids/memory cgroups, else the /proc
    # watchdog alone; v1/v2: that or commands are refused; off: the watchdog alone.
    sandbox_cgroup: Literal["auto", "v1", "v2", "off"] = "auto"
    # A delegated cgroup v2 directory that does not hold the worker itself.
    sandbox_cgroup_parent: Path | None = None
    # A task's scratch directory (HOME, TMPDIR) is deleted when the task ends; ones left by
    # a worker that died are deleted at the next start once untouched this long (longer
    # than a task may run).
    scratch_max_age_hours: float = Field(default=24.0, gt=0)
    command_timeout_seconds: float = Field(default=300.0, gt=0)
    command_cpu_seconds: int = Field(default=240, ge=1)
    command_memory_mb: int = Field(default=4096, ge=64)
    command_max_processes: int = Field(default=256, ge=8)
    command_max_output_bytes: int = Field(default=64 * 1024, ge=1024)
    git_author_name: str = "CodeMonkey"
    git_author_email: str = "codemonkey@users.noreply.github.com"

    # Embeddings. The semantic code index: unset is on for the service and off in the Action
    # (a fresh checkout each job; text search there), true/false chooses.
    semantic_index: bool | None = None
    embedding_provider: Literal["local", "openai", "ollama"] = "local"
    embedding_model_dir: Path | None = None
    embedding_model: str = "all-MiniLM-L6-v2"
    # Vector size of a remote embedding model we do not know (e.g. a custom Ollama model).
    embedding_dimension: int | None = Field(default=None, ge=1)

    # Models
    default_model: str = "anthropic:claude-sonnet-4-6"
    role_models: dict[str, str] = Field(default_factory=dict)
    fallback_models: dict[str, list[str]] = Field(default_factory=dict)
    prices: dict[str, dict[str, float]] = Field(default_factory=dict)
    provider_concurrency: int = Field(default=8, ge=1)
    llm_timeout_seconds: float = Field(default=120.0, gt=0)
    llm_max_retries: int = Field(default=4, ge=0)
    gateway_mode: bool = False
    # Provider models `/v1/models` lists in gateway mode, besides the configured ones.
    gateway_models: list[str] = Field(default_factory=list)

    # Agents: budgets are checked before every model call (per task and per issue).
    agent_max_steps: int = Field(default=40, ge=1)
    agent_max_task_tokens: int = Field(default=500_000, ge=1)
    agent_max_task_usd: float = Field(default=2.0, gt=0)
    agent_max_issue_tokens: int = Field(default=3_000_000, ge=1)
    agent_max_issue_usd: float = Field(default=10.0, gt=0)
    agent_max_task_seconds: float = Field(default=3600.0, gt=0)
    agent_context_tokens: int = Field(default=100_000, ge=1000)
    agent_review_rounds: int = Field(default=2, ge=0, le=10)

    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=_env("ANTHROPIC_API_KEY")
    )
    anthropic_base_url: str | None = Field(
        default=None, validation_alias=_env("ANTHROPIC_BASE_URL")
    )
    openai_api_key: SecretStr | None = Field(default=None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=_env("OPENAI_BASE_URL"))
    openrouter_api_key: SecretStr | None = Field(
        default=None, validation_alias=_env("OPENROUTER_API_KEY")
    )
    openrouter_base_url: str | None = Field(
        default=None, validation_alias=_env("OPENROUTER_BASE_URL")
    )
    ollama_host: str | None = Field(default=None, validation_alias=_env("OLLAMA_HOST"))
    # OpenRouter attribution (`HTTP-Referer`, `X-Title` headers); the URL is sent only if set.
    openrouter_app_url: str | None = None
    openrouter_app_title: str = "CodeMonkey"
    ollama_num_ctx: int | None = Field(default=None, ge=512)
    ollama_keep_alive: str | None = None

    # GitHub
    github_api_url: str = "https://api.github.com"
    github_app_id: int | None = None
    github_private_key: SecretStr | None = None
    github_private_key_path: Path | None = None
    github_app_slug: str = "codemonkey"
    # GitHub's web root for the App manifest flow; derived from github_api_url when unset
    # (https://api.github.com -> https://github.com, https://HOST/api/v3 -> https://HOST).
    github_web_url: str | None = None
    # The URL GitHub reaches this service at (webhooks, manifest redirects); derived from
    # the request when unset.
    public_url: str | None = None
    github_max_wait_seconds: float = Field(default=900.0, gt=0)
    webhook_secret: SecretStr | None = None
    webhook_max_body_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # A signed body seen again under a new delivery id within this window is a replay.
    webhook_replay_window_seconds: float = Field(default=24 * 3600.0, gt=0)
    trigger_label: str = "codemonkey"
    bot_comments_per_issue_per_hour: int = Field(default=10, ge=1)

    # HTTP API
    api_rate_limit_per_minute: int = Field(default=120, ge=1)
    api_max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)

    @field_validator("default_model")
    @classmethod
    def _model_id(cls, value: str) -> str:
        return check_model_id(value)

    @field_validator("role_models")
    @classmethod
    def _role_models(cls, value: dict[str, str]) -> dict[str, str]:
        return checked_role_models(value)

    @field_validator("fallback_models")
    @classmethod
    def _fallback_models(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return checked_fallback_models(value)

    @field_validator("database_url", "redis_url", "chroma_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        return None if value is None else checked_database_url(value)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        return None if value is None else checked_redis_url(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config = os.environ.get("CODEMONKEY_CONFIG")
        path = Path(config) if config else Path(DEFAULT_CONFIG_FILE)
        if config and not path.is_file():
            raise SettingsError(
                f"CODEMONKEY_CONFIG points at {path}, which is not a file; "
                "fix the path or unset the variable"
            )
        return (init_settings, env_settings, _YamlFileSource(settings_cls, path))

    # Derived values

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'codemonkey.db').resolve()}"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def embedded(self) -> bool:
        """True when no external server is configured for the queue."""
        return self.redis_url is None

    def redacted(self) -> dict[str, Any]:
        """The effective settings as plain data, with every secret replaced by a marker."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "**********"
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, str):
                # Any URL setting (database, Redis, Chroma, provider base URLs, ...) may
                # carry a password.
                value = redact_url(value)
            out[name] = value
        out["effective_database_url"] = redact_url(self.effective_database_url)
        return out


_JSON_EXAMPLES = {
    "role_models": '{"reviewer": "openai:gpt-4.1"}',
    "fallback_models": '{"anthropic:claude-sonnet-4-6": ["openai:gpt-4.1"]}',
    "prices": '{"openai:gpt-4.1": {"input": 2.0, "output": 8.0}}',
    "protected_paths": '[".github/workflows/**", "deploy/**"]',
    "gateway_models": '["openai:gpt-4.1"]',
}


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation errors into one readable line per problem."""
    try:
        return Settings(**overrides)
    except pydantic_settings.SettingsError as exc:
        # Raised for a structured variable (a mapping or list) that is not valid JSON.
        match = re.search(r'field "(\w+)"', str(exc))
        field = match.group(1) if match else ""
        variable = f"CODEMONKEY_{field.upper()}" if field else "a CODEMONKEY_ variable"
        example = _JSON_EXAMPLES.get(field, '{"name": "value"}')
        raise SettingsError(
            f"{variable} is not valid JSON; write e.g. '{example}' (quoted for the shell)"
        ) from None
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "settings"
            variable = f"CODEMONKEY_{field.upper()}"
            message = error["msg"].removeprefix("Value error, ")
            shown = ""
            if error["type"] != "value_error" and not _is_secret(field):
                shown = f" (got {error.get('input')!r:.60})"
            lines.append(f"{variable}: {message}{shown}")
        if len(lines) == 1:
            raise SettingsError(f"{lines[0]}; fix the variable and retry") from None
        raise SettingsError(
            "invalid settings:\n  " + "\n  ".join(lines) + "\nFix the variables above and retry."
        ) from None


def _is_secret(field: str) -> bool:
    return any(word in field for word in ("key", "secret", "token", "password"))
