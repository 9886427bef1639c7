"""Settings -> provider configuration, including keys stored encrypted in SQL."""

from __future__ import annotations

import pytest

from bot.llm_config import llm_config
from bot.settings import Settings, SettingsError
from storage.secrets import SecretStore
from storage.sql.database import Database


def test_settings_become_provider_configs() -> None:
    settings = Settings(
        anthropic_api_key="sk-ant-env",
        openrouter_api_key="sk-or",
        openrouter_app_url="https://example.org/app",
        ollama_host="http://gpu-box:11434",
        ollama_num_ctx=8192,
        default_model="openai:gpt-4.1",
        role_models={"reviewer": "anthropic:claude-sonnet-4-6"},
        fallback_models={"reviewer": ["openrouter:openai/gpt-4.1"]},
        prices={"openai:gpt-4.1": {"input": 1.5, "output": 6.0}},
        llm_timeout_seconds=30,
        llm_max_retries=1,
        provider_concurrency=3,
    )
    config = llm_config(settings)
    assert config.provider("anthropic").api_key == "sk-ant-env"
    assert config.provider("openai").api_key is None
    assert dict(config.provider("openrouter").headers) == {
        "HTTP-Referer": "https://example.org/app",
        "X-Title": "CodeMonkey",
    }
    ollama = config.provider("ollama")
    assert (ollama.effective_base_url, ollama.num_ctx, ollama.timeout_seconds) == (
        "http://gpu-box:11434",
        8192,
        30,
    )
    # Short role names are stored under the role file's name.
    assert config.role_models["code_reviewer"] == "anthropic:claude-sonnet-4-6"
    assert config.fallback_models["code_reviewer"] == ("openrouter:openai/gpt-4.1",)
    assert config.prices["openai:gpt-4.1"].output == 6.0
    assert (config.retry.max_retries, config.provider_concurrency) == (1, 3)


def test_bad_prices_are_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="CODEMONKEY_PRICES"):
        llm_config(Settings(prices={"openai:gpt-4.1": {"input": 1.0}}))


def test_stored_keys_fill_gaps_but_environment_wins(database: Database) -> None:
    secrets = SecretStore(database, "service secret")
    secrets.put("openai_api_key", "sk-stored-openai")
    secrets.put("anthropic_api_key", "sk-stored-anthropic")
    config = llm_config(Settings(anthropic_api_key="sk-ant-env"), secrets)
    assert config.provider("openai").api_key == "sk-stored-openai"
    assert config.provider("anthropic").api_key == "sk-ant-env"
    assert config.provider("openrouter").api_key is None
