"""Building the agents' provider configuration from the settings."""

from __future__ import annotations

from pydantic import SecretStr

from agents.providers.provider_config import LLMConfig, ProviderConfig, RetryConfig
from bot.open_database import open_database
from bot.settings import Settings, SettingsError
from storage.secrets import SecretKeyError, SecretStore
from storage.sql.database import Database

# Names under which `SecretStore` keeps provider keys set through the API or CLI.
STORED_KEY_NAMES = {
    "anthropic": "anthropic_api_key",
    "openai": "openai_api_key",
    "openrouter": "openrouter_api_key",
}


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def secret_store(settings: Settings, database: Database) -> SecretStore | None:
    """The stored provider keys, when the service has a key to read them with."""
    if settings.secret_key is None:
        return None
    return SecretStore(database, settings.secret_key.get_secret_value())


def llm_config_with_stored_keys(settings: Settings) -> LLMConfig:
    """`llm_config` for commands that do not otherwise open the database (`chat`): it is
    opened only when a CODEMONKEY_SECRET_KEY says stored keys may exist."""
    if settings.secret_key is None:
        return llm_config(settings)
    database = open_database(settings)
    try:
        return llm_config(settings, secret_store(settings, database))
    finally:
        database.dispose()


def llm_config(settings: Settings, secrets: SecretStore | None = None) -> LLMConfig:
    """Keys from the settings (environment) win; stored, encrypted keys fill the gaps.

    A stored key that the configured CODEMONKEY_SECRET_KEY cannot decrypt is a SettingsError:
    running on without it would fail later, and further from the cause.
    """

    def key(name: str, value: SecretStr | None) -> str | None:
        if value is not None or secrets is None:
            return _secret(value)
        try:
            return secrets.get(STORED_KEY_NAMES[name])
        except SecretKeyError as exc:
            raise SettingsError(f"cannot decrypt stored secrets: {exc}") from None

    timeout = settings.llm_timeout_seconds
    openrouter_headers = [("X-Title", settings.openrouter_app_title)]
    if settings.openrouter_app_url:
        openrouter_headers.insert(0, ("HTTP-Referer", settings.openrouter_app_url))
    providers = [
        ProviderConfig(
            "anthropic",
            api_key=key("anthropic", settings.anthropic_api_key),
            base_url=settings.anthropic_base_url,
            timeout_seconds=timeout,
        ),
        ProviderConfig(
            "openai",
            api_key=key("openai", settings.openai_api_key),
            base_url=settings.openai_base_url,
            timeout_seconds=timeout,
        ),
        ProviderConfig(
            "openrouter",
            api_key=key("openrouter", settings.openrouter_api_key),
            base_url=settings.openrouter_base_url,
            timeout_seconds=timeout,
            headers=tuple(openrouter_headers),
        ),
        ProviderConfig(
            "ollama",
            base_url=settings.ollama_host,
            timeout_seconds=timeout,
            num_ctx=settings.ollama_num_ctx,
            keep_alive=settings.ollama_keep_alive,
        ),
    ]
    try:
        return LLMConfig.build(
            providers=providers,
            default_model=settings.default_model,
            role_models=settings.role_models,
            fallback_models=settings.fallback_models,
            prices=settings.prices,
            provider_concurrency=settings.provider_concurrency,
            retry=RetryConfig(max_retries=settings.llm_max_retries),
        )
    except ValueError as exc:
        raise SettingsError(f"CODEMONKEY_PRICES: {exc}") from None
