"""`.github/codemonkey.yml`: validated, merged over defaults, read from the default branch."""

from __future__ import annotations

import pytest

from agents.githost import RepoRef
from tests.webhooks.support import InMemoryGitHost
from webhooks.config_cache import LOADED_FROM, cached_value, routing_config
from webhooks.repo_config import (
    CONFIG_PATH,
    LoadedConfig,
    RepoConfig,
    RepoConfigError,
    load_repo_config,
    parse_repo_config,
)

REPO = RepoRef("octo", "app")
DEFAULTS = RepoConfig.defaults(trigger_label="cm", role_models={"reviewer": "openai:gpt-4.1"})

VALID = """
trigger_label: ai-help
auto_review: false
commands: [plan, review, status]
roles:
  reviewer: {enabled: true}
  frontend: {model: "anthropic:claude-haiku-4-5", enabled: false}
budgets: {max_steps: 30, max_cost_usd: 2.5}
protected_paths: ["deploy/**"]
trust:
  allowed_bots: ["dependabot[bot]"]
"""


def test_valid_file_is_merged_over_defaults() -> None:
    config = parse_repo_config(VALID, defaults=DEFAULTS)
    assert config.trigger_label == "ai-help"
    assert config.auto_review is False and config.auto_qa is True
    assert config.commands == ("plan", "review", "status")
    assert config.model_for("code_reviewer") == "openai:gpt-4.1", "default model kept"
    assert config.model_for("frontend_developer") == "anthropic:claude-haiku-4-5"
    assert not config.role_enabled("frontend_developer") and config.role_enabled("qa")
    assert set(config.roles) == {"code_reviewer", "frontend_developer"}, "aliases resolved"
    assert config.budgets.max_steps == 30 and config.budgets.max_tokens == 400_000
    assert config.protected_paths == (".github/workflows/**", "deploy/**")
    assert config.trust.allowed_bots == ("dependabot[bot]",)


def test_defaults_protect_workflows() -> None:
    assert RepoConfig.defaults().protected_paths == (".github/workflows/**",)
    assert parse_repo_config("", defaults=DEFAULTS) == DEFAULTS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("auto_reveiw: false", "`auto_reveiw`: unknown setting (check the spelling)"),
        ("auto_review: maybe", "`auto_review`: Input should be a valid boolean"),
        ("commands: [plan, deploy]", "unknown command(s) ['deploy']"),
        (
            "budgets: {max_steps: 0}",
            "`budgets.max_steps`: Input should be greater than or equal to 1",
        ),
        ("trust: {min_permission: read}", "`trust.min_permission`"),
        ("- a list", "must be a YAML mapping"),
        ("roles: {qa: [1, 2", "is not valid YAML at line 1"),
        ("roles: {reveiwer: {enabled: false}}", "unknown role 'reveiwer'; use one of:"),
    ],
)
def test_invalid_file_gives_a_clear_message(text: str, expected: str) -> None:
    with pytest.raises(RepoConfigError) as info:
        parse_repo_config(text, defaults=DEFAULTS)
    assert expected in str(info.value)


def test_load_reads_the_default_branch_only() -> None:
    host = InMemoryGitHost(default="trunk")
    host.files[(CONFIG_PATH, "trunk")] = "trigger_label: from-trunk"
    host.files[(CONFIG_PATH, "attacker-branch")] = "trust: {allowed_bots: ['evil[bot]']}"
    loaded = load_repo_config(host, REPO, defaults=DEFAULTS)
    assert loaded.config.trigger_label == "from-trunk"
    assert loaded.config.trust.allowed_bots == ()
    assert loaded.ref == "trunk" and loaded.found and loaded.error is None
    assert loaded.overrides == {"trigger_label": "from-trunk"}
    assert routing_config(cached_value(loaded), defaults=DEFAULTS) == loaded.config
    assert host.reads == [(CONFIG_PATH, "trunk")]


def test_load_without_file_uses_defaults() -> None:
    loaded = load_repo_config(InMemoryGitHost(), REPO, defaults=DEFAULTS)
    assert loaded.config == DEFAULTS and not loaded.found and loaded.error is None


def test_load_of_invalid_file_returns_defaults_and_a_message_to_post() -> None:
    host = InMemoryGitHost()
    host.files[(CONFIG_PATH, "main")] = "auto_review: sometimes\nbogus: 1"
    loaded = load_repo_config(host, REPO, defaults=DEFAULTS)
    assert loaded.config == DEFAULTS and loaded.overrides == {}
    assert loaded.error is not None
    assert "`.github/codemonkey.yml` on `main` is invalid" in loaded.error
    assert "`bogus`: unknown setting" in loaded.error
    assert "Fix the file on the default branch" in loaded.error


def test_cached_config_falls_back_to_defaults_when_bad_and_is_unknown_when_absent() -> None:
    assert routing_config({"auto_review": False}, defaults=DEFAULTS).auto_review is False  # type: ignore[union-attr]
    assert routing_config({"auto_review": "nope"}, defaults=DEFAULTS) == DEFAULTS
    assert routing_config(None, defaults=DEFAULTS) is None
    assert routing_config({}, defaults=DEFAULTS) is None
    # A file without settings, once read, is known: the defaults apply at ingress.
    empty = LoadedConfig(config=DEFAULTS, ref="main", found=False)
    assert routing_config(cached_value(empty), defaults=DEFAULTS) == DEFAULTS
    broken = LoadedConfig(config=DEFAULTS, ref="main", found=True, error="bad", overrides={})
    assert cached_value(broken) == {LOADED_FROM: "main"}


def test_setup_commands_are_read_and_checked() -> None:
    config = parse_repo_config("setup:\n  - npm ci\n  - make deps\n", defaults=DEFAULTS)
    assert config.setup == ("npm ci", "make deps")
    assert parse_repo_config("setup: []\n", defaults=DEFAULTS).setup == ()
    assert parse_repo_config("auto_qa: true\n", defaults=DEFAULTS).setup is None
    with pytest.raises(RepoConfigError, match="non-empty shell command"):
        parse_repo_config("setup: ['  ']\n", defaults=DEFAULTS)
    with pytest.raises(RepoConfigError, match="`setup`"):
        parse_repo_config("setup: npm ci\n", defaults=DEFAULTS)
