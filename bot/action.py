"""GitHub Action mode: one workflow event, routed exactly as the App routes a delivery,
recorded and run inline on embedded storage.

The runner's checkout is never read for configuration: flows read `.github/codemonkey.yml`
from the default branch through the git host, as in App mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr
from sqlalchemy import select

from bot.settings import Settings
from storage.sql import migrate
from storage.sql.database import Database
from storage.sql.models import Task, TaskState
from storage.sql.types import utcnow
from webhooks.ingest import Delivery, IngestConfig, IngestResult, ingest_delivery
from webhooks.repo_config import CONFIG_PATH, RepoConfig

# The user GITHUB_TOKEN acts as: its comments must not trigger the next run.
ACTIONS_BOT = "github-actions[bot]"


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


@dataclass(frozen=True)
class InlineTask:
    id: int
    kind: str
    role: str | None
    title: str
    payload: dict[str, Any]


# Runs one task; raising marks it failed. The real flows are plugged in by the caller.
TaskHandler = Callable[[InlineTask, ActionEnv], None]


def no_flow_handler(task: InlineTask, env: ActionEnv) -> None:
    raise ActionError(f"no flow is wired for task kind {task.kind!r}")


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


def check_model_keys(settings: Settings) -> None:
    if not any(
        (
            settings.anthropic_api_key,
            settings.openai_api_key,
            settings.openrouter_api_key,
            settings.ollama_host,
        )
    ):
        raise ActionError(
            "no model provider configured: set the action's `anthropic_api_key`, "
            "`openai_api_key` or `openrouter_api_key` input (from a repository secret)"
        )


def embedded_database(settings: Settings, environ: Mapping[str, str]) -> Database:
    """The Action's own SQLite file, kept out of the checkout (under RUNNER_TEMP)."""
    if settings.database_url:
        return Database(settings.database_url)
    base = Path(environ.get("RUNNER_TEMP") or settings.data_dir) / "codemonkey"
    base.mkdir(parents=True, exist_ok=True)
    database = Database(f"sqlite:///{base / 'codemonkey.db'}")
    migrate.upgrade(database)
    return database


def run_action(
    env: ActionEnv,
    settings: Settings,
    database: Database,
    *,
    handler: TaskHandler,
    out: TextIO,
) -> int:
    """Route and record the event, run its tasks inline; 0 when all succeeded."""
    payload = read_event(env)
    config = IngestConfig(
        app_slug=settings.github_app_slug,
        defaults=RepoConfig.defaults(
            trigger_label=settings.trigger_label, role_models=settings.role_models
        ),
        extra_bot_logins=frozenset({ACTIONS_BOT}),
    )
    payload.setdefault("repository", {"full_name": env.repository})
    result = ingest_delivery(database, Delivery(env.delivery_id, env.event_name, payload), config)
    print(f"{env.event_name}: {result.outcome.value}: {result.reason}", file=out)
    failures = sum(
        not _run_one(database, task_id, env, handler, out) for task_id in _to_run(result)
    )
    return 1 if failures else 0


def _to_run(result: IngestResult) -> tuple[int, ...]:
    return result.new_task_ids


def _run_one(
    database: Database, task_id: int, env: ActionEnv, handler: TaskHandler, out: TextIO
) -> bool:
    with database.session() as session:
        row = session.scalar(select(Task).where(Task.id == task_id))
        if row is None or row.state != TaskState.QUEUED.value:
            return True
        row.state = TaskState.RUNNING.value
        row.attempts += 1
        row.started_at = utcnow()
        task = InlineTask(row.id, row.kind, row.role, row.title, dict(row.payload))
    error: str | None = None
    try:
        handler(task, env)
    except Exception as exc:  # any failure of a flow fails its task, reported below
        error = f"{type(exc).__name__}: {exc}"
    with database.session() as session:
        stored = session.get(Task, task_id)
        assert stored is not None
        stored.state = (TaskState.FAILED if error else TaskState.SUCCEEDED).value
        stored.error = error
        stored.finished_at = utcnow()
    status = f"failed: {error}" if error else "succeeded"
    print(f"task {task.id} {task.kind}: {status}", file=out)
    return error is None
