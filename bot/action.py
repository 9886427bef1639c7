"""GitHub Action mode: one workflow event, routed exactly as the App routes a delivery,
recorded and run inline on embedded storage.

The runner's checkout is never read for configuration: flows read `.github/codemonkey.yml`
from the default branch through the git host, as in App mode.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr
from sqlalchemy import select

from agents.providers.provider_config import LLMConfig
from bot.services import Services
from bot.settings import Settings
from storage.sql.models import Task, TaskState
from webhooks.ingest import Delivery, IngestConfig, ingest_delivery
from webhooks.repo_config import CONFIG_PATH, RepoConfig

# The user GITHUB_TOKEN acts as: its comments must not trigger the next run.
ACTIONS_BOT = "github-actions[bot]"
# A job has 6 hours at most on GitHub's runners; the team's budgets end work long before.
DEFAULT_TIMEOUT_SECONDS = 3 * 3600.0


class ActionError(Exception):
    """The Action cannot run; the message says which input or variable to fix."""


@dataclass(frozen=True)
class ActionEnv:
    event_name: str
    event_path: Path
    repository: str
    token: SecretStr
    run_id: str = "local"
    run_attempt: str = "1"
    config_path: str = CONFIG_PATH

    @staticmethod
    def from_environ(environ: Mapping[str, str]) -> ActionEnv:
        missing = [
            name
            for name in ("GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_REPOSITORY")
            if not environ.get(name)
        ]
        if missing:
            raise ActionError(
                f"{', '.join(missing)} not set: `codemonkey action` runs inside a GitHub "
                "Actions job, which sets them"
            )
        token = environ.get("GITHUB_TOKEN", "")
        if not token:
            raise ActionError(
                "GITHUB_TOKEN is not set: pass `token: ${{ secrets.GITHUB_TOKEN }}` to the "
                "action (or set env GITHUB_TOKEN) and grant the job `contents: write`, "
                "`issues: write` and `pull-requests: write` permissions"
            )
        return ActionEnv(
            event_name=environ["GITHUB_EVENT_NAME"],
            event_path=Path(environ["GITHUB_EVENT_PATH"]),
            repository=environ["GITHUB_REPOSITORY"],
            token=SecretStr(token),
            run_id=environ.get("GITHUB_RUN_ID", "local"),
            run_attempt=environ.get("GITHUB_RUN_ATTEMPT", "1"),
            config_path=environ.get("CODEMONKEY_REPO_CONFIG") or CONFIG_PATH,
        )

    @property
    def delivery_id(self) -> str:
        return f"action-{self.run_id}-{self.run_attempt}"[:64]


def read_event(env: ActionEnv) -> dict[str, Any]:
    try:
        data = json.loads(env.event_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ActionError(
            f"cannot read GITHUB_EVENT_PATH {env.event_path}: {exc.strerror}"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ActionError(f"GITHUB_EVENT_PATH {env.event_path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ActionError(f"GITHUB_EVENT_PATH {env.event_path} must hold a JSON object")
    return data


def check_model_keys(settings: Settings, config: LLMConfig | None = None) -> None:
    """Some provider must be usable: a key from the inputs, or (with `config`, which holds
    the keys stored with `codemonkey secrets set` too) a stored one, or an Ollama host."""
    keys: list[object] = [settings.anthropic_api_key, settings.openai_api_key]
    keys.append(settings.openrouter_api_key)
    if config is not None:
        keys.extend(provider.api_key for provider in config.providers)
    if not any((*keys, settings.ollama_host)):
        raise ActionError(
            "no model provider configured: set the action's `anthropic_api_key`, "
            "`openai_api_key` or `openrouter_api_key` input (from a repository secret)"
        )


def action_settings(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """The Action runs on embedded storage of its own, kept out of the checkout (under
    RUNNER_TEMP): SQLite, in-process queue and cache. The semantic index is off unless
    CODEMONKEY_SEMANTIC_INDEX turns it on (then embedded Chroma, the `index` extra): the
    checkout is new each job, and indexing it would cost minutes of CPU on every run."""
    base = Path(environ.get("RUNNER_TEMP") or settings.data_dir) / "codemonkey"
    semantic = bool(settings.semantic_index)
    return settings.model_copy(
        update={
            "data_dir": base,
            "redis_url": None,
            "chroma_url": None,
            "semantic_index": semantic,
        }
    )


def run_action(
    env: ActionEnv,
    services: Services,
    *,
    out: TextIO,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> int:
    """Route and record the event exactly as the App does, then run its tasks (and the
    tasks they create) on the in-process queue; 0 when every one of them succeeded."""
    settings = services.settings
    payload = read_event(env)
    config = IngestConfig(
        app_slug=settings.github_app_slug,
        defaults=RepoConfig.defaults(
            trigger_label=settings.trigger_label, role_models=settings.role_models
        ),
        extra_bot_logins=frozenset({ACTIONS_BOT}),
    )
    payload.setdefault("repository", {"full_name": env.repository})
    result = ingest_delivery(
        services.database, Delivery(env.delivery_id, env.event_name, payload), config
    )
    print(f"{env.event_name}: {result.outcome.value}: {result.reason}", file=out)
    if not result.new_task_ids:
        return 0
    queue = services.embedded_queue
    if queue is None:
        raise ActionError("the Action runs on the in-process queue; unset CODEMONKEY_REDIS_URL")
    queue.enqueue(result.new_task_ids)
    queue.start()
    idle = queue.run_until_idle(timeout_seconds)
    failures = _report(services, min(result.new_task_ids), out)
    if not idle:
        print(f"gave up waiting after {timeout_seconds:.0f} s", file=out)
    return 1 if failures or not idle else 0


def _report(services: Services, first_task_id: int, out: TextIO) -> int:
    """Print each task this run created; returns how many did not succeed."""
    with services.database.session() as session:
        rows = session.scalars(select(Task).where(Task.id >= first_task_id).order_by(Task.id)).all()
        lines = [(t.id, t.kind, t.state, t.error) for t in rows]
    for task_id, kind, state, error in lines:
        detail = f": {error}" if error else ""
        print(f"task {task_id} {kind}: {state}{detail}", file=out)
    return sum(state != TaskState.SUCCEEDED.value for _, _, state, _ in lines)
