"""Per-repository settings from `.github/codemonkey.yml`, merged over the service defaults.

The file is read from the repository's DEFAULT branch only: a pull request from someone
without write access must not be able to change how the bot treats that same pull request
(its budgets, trusted bots, protected paths) by editing the file on its head branch.

Example:

    trigger_label: ai-help
    auto_review: false
    commands: [plan, review, status]
    roles:
      reviewer: {model: "openai:gpt-4.1"}     # code_reviewer (aliases are accepted)
      frontend: {enabled: false}
    budgets: {max_steps: 30, max_cost_usd: 2.5}
    protected_paths: ["deploy/**"]
    test_command: python3 -m pytest -q
    setup:
      - python3 -m pip install -e .[test]
    lint_command: ruff check
    image: python:3.12-slim
    trust:
      allowed_bots: ["dependabot[bot]"]
      public_commands: [status]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agents.githost import GitHost, RepoRef
from agents.providers.model_ids import check_model_id
from agents.roles.names import canonical_role
from webhooks.comment_parsing import COMMANDS

CONFIG_PATH = ".github/codemonkey.yml"
MAX_CONFIG_BYTES = 64 * 1024
MAX_SETUP_COMMANDS = 20
# An image reference; never one starting with "-", which the runtime would read as a flag.
IMAGE_PATTERN = r"^[A-Za-z0-9][\w./:@-]*$"
MAX_SETUP_COMMAND_CHARS = 2000
# Always protected, whatever the file says: workflows run with the repository's secrets.
ALWAYS_PROTECTED = (".github/workflows/**",)


class _Strict(BaseModel):
    # Unknown keys are errors: a typo such as `auto_reveiw` must not be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleConfig(_Strict):
    model: str | None = None
    enabled: bool = True

    @field_validator("model")
    @classmethod
    def _model_id(cls, value: str | None) -> str | None:
        # `provider:model`: a bare `gpt-4o` must not quietly become the default model.
        return None if value is None else check_model_id(value)


class Budgets(_Strict):
    max_steps: int = Field(default=40, ge=1, le=1000)
    max_tokens: int = Field(default=400_000, ge=1000)
    max_cost_usd: float = Field(default=5.0, ge=0)


class TrustConfig(_Strict):
    min_permission: Literal["write", "maintain", "admin"] = "write"
    allowed_bots: tuple[str, ...] = ()
    # Commands anyone may run (they only read); everything else needs `min_permission`.
    public_commands: tuple[str, ...] = ("status",)

    @field_validator("public_commands")
    @classmethod
    def _known_public(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_commands(value)


class RepoConfig(_Strict):
    trigger_label: str = Field(default="codemonkey", min_length=1, max_length=50)
    auto_review: bool = True
    auto_qa: bool = True
    commands: tuple[str, ...] = COMMANDS
    roles: dict[str, RoleConfig] = Field(default_factory=dict)
    budgets: Budgets = Field(default_factory=Budgets)
    protected_paths: tuple[str, ...] = ALWAYS_PROTECTED
    # How QA runs the repository's tests in the sandbox; unset = detected from the
    # repository (pytest, unittest, npm/pnpm/yarn test, go test, cargo test, make test, tox).
    test_command: str | None = Field(default=None, min_length=1, max_length=500)
    # Shell commands that install what the tests need, run once per dependency manifest
    # with network but no secrets, into a per-repository virtualenv; unset = detected,
    # [] = none. E.g. ["python3 -m pip install -e .[test]", "npm ci"].
    setup: tuple[str, ...] | None = Field(default=None, max_length=MAX_SETUP_COMMANDS)
    # Run in the sandbox after every edit with the edited files appended, e.g. "ruff check";
    # its findings come back to the agent with the edit's result.
    lint_command: str | None = Field(default=None, min_length=1, max_length=500)
    # A container image the setup and commands run in (Podman or Docker on the worker,
    # see deploy/README.md); unset = the worker's sandbox as configured.
    image: str | None = Field(default=None, min_length=1, max_length=300, pattern=IMAGE_PATTERN)
    trust: TrustConfig = Field(default_factory=TrustConfig)

    @field_validator("roles", mode="before")
    @classmethod
    def _canonical_roles(cls, value: Any) -> Any:
        """Keys as the role files name them (`reviewer` -> `code_reviewer`); an alias and
        its canonical name (the defaults' and the file's) merge, the later entry winning."""
        if not isinstance(value, dict):
            return value
        merged: dict[str, Any] = {}
        for name, entry in value.items():
            key = canonical_role(str(name))
            before = merged.get(key)
            if isinstance(before, dict) and isinstance(entry, dict):
                entry = {**before, **entry}
            elif isinstance(before, RoleConfig) and isinstance(entry, dict):
                entry = {**before.model_dump(exclude_unset=True), **entry}
            merged[key] = entry
        return merged

    @field_validator("setup")
    @classmethod
    def _setup_commands(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for command in value or ():
            if not command.strip() or len(command) > MAX_SETUP_COMMAND_CHARS:
                raise ValueError(
                    "each setup command must be a non-empty shell command of at most "
                    f"{MAX_SETUP_COMMAND_CHARS} characters"
                )
        return value

    @field_validator("commands")
    @classmethod
    def _known_commands(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_commands(value)

    @field_validator("protected_paths")
    @classmethod
    def _keep_workflows(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*ALWAYS_PROTECTED, *value)))

    @classmethod
    def defaults(
        cls, *, trigger_label: str = "codemonkey", role_models: dict[str, str] | None = None
    ) -> RepoConfig:
        """The service-wide defaults (from Settings) that a repository's file overrides."""
        roles = {role: RoleConfig(model=model) for role, model in (role_models or {}).items()}
        return cls(trigger_label=trigger_label, roles=roles)

    def merged(self, overrides: dict[str, Any]) -> RepoConfig:
        """These settings with `overrides` laid over them (mappings merge, lists replace)."""
        return RepoConfig.model_validate(_deep_merge(self.model_dump(), overrides))

    def model_for(self, role: str) -> str | None:
        """`role` is a canonical name (the keys were made canonical when parsed)."""
        entry = self.roles.get(role)
        return entry.model if entry else None

    def role_enabled(self, role: str) -> bool:
        entry = self.roles.get(role)
        return entry.enabled if entry else True


def _check_commands(value: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [c for c in value if c not in COMMANDS]
    if unknown:
        raise ValueError(f"unknown command(s) {unknown}; known: {list(COMMANDS)}")
    return value


def _deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class LoadedConfig:
    """The effective config; `error` is a message to post back when the file was invalid
    (the defaults apply until it is fixed)."""

    config: RepoConfig
    ref: str
    found: bool
    error: str | None = None
    # The file's own settings (valid ones only): what workers store in `projects.config`
    # (`webhooks.config_cache`), so ingress applies them without calling GitHub and later
    # default changes still apply.
    overrides: dict[str, Any] = field(default_factory=dict)


def parse_repo_config(text: str, *, defaults: RepoConfig, where: str = CONFIG_PATH) -> RepoConfig:
    """Validate the file's text over the defaults; raises RepoConfigError with a fix message."""
    return _validated(read_overrides(text, where=where), defaults=defaults, where=where)


def read_overrides(text: str, *, where: str = CONFIG_PATH) -> dict[str, Any]:
    """The file's YAML mapping (not yet validated); RepoConfigError when it is not one."""
    if len(text.encode("utf-8")) > MAX_CONFIG_BYTES:
        raise RepoConfigError(f"`{where}` is larger than {MAX_CONFIG_BYTES} bytes; shorten it.")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise RepoConfigError(f"`{where}` is not valid YAML{at}: fix the syntax.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RepoConfigError(f"`{where}` must be a YAML mapping such as `auto_review: true`.")
    return data


def _validated(data: dict[str, Any], *, defaults: RepoConfig, where: str) -> RepoConfig:
    try:
        return defaults.merged(data)
    except ValidationError as exc:
        lines = [f"`{where}` is invalid:"]
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "(top level)"
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown setting (check the spelling)"
            lines.append(f"- `{field}`: {message}")
        lines.append("Fix the file on the default branch; until then the defaults apply.")
        raise RepoConfigError("\n".join(lines)) from None


class RepoConfigError(ValueError):
    """The repository's config file is invalid; the message is written for its maintainers."""


def load_repo_config(
    host: GitHost, repo: RepoRef, *, defaults: RepoConfig, path: str = CONFIG_PATH
) -> LoadedConfig:
    """Read and validate the file on the default branch (never a pull request's head)."""
    ref = host.default_branch(repo)
    return loaded_config(host.read_file(repo, path, ref), ref=ref, defaults=defaults, path=path)


def loaded_config(
    text: str | None, *, ref: str, defaults: RepoConfig, path: str = CONFIG_PATH
) -> LoadedConfig:
    """Validate the file's `text` as read from `ref` (None: there is no file)."""
    if text is None:
        return LoadedConfig(config=defaults, ref=ref, found=False)
    where = f"{path}` on `{ref}"
    try:
        overrides = read_overrides(text, where=where)
        config = _validated(overrides, defaults=defaults, where=where)
        return LoadedConfig(config=config, ref=ref, found=True, overrides=overrides)
    except RepoConfigError as exc:
        return LoadedConfig(config=defaults, ref=ref, found=True, error=str(exc))
