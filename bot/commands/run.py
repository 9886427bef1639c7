"""`codemonkey run --repo PATH [--model M] "task"`: the team on a local git repository.

No GitHub: the plan, review and summary are printed instead of posted, progress streams
to the terminal, and the result is a `codemonkey/<n>-<slug>` branch in the repository.
`--model scripted:PATH` runs a scripted model from a JSON file (for demos and tests; it is
not a language model and says so).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from agents.providers.llm import LLM
from agents.providers.model_ids import ModelIdError, check_model_id
from agents.providers.registry import ProviderRegistry
from agents.providers.script_file import ScriptFileError, load_script
from agents.providers.scripted import ScriptedModel
from agents.roles import Role, load_roles
from agents.runtime.budget import BudgetLimits
from agents.runtime.loop import LoopConfig
from agents.runtime.ports import AgentEvent, ModelClient
from agents.team.gitworkspace import GitError
from agents.team.local import LocalOptions, run_local
from agents.team.localhost import HostRecord
from bot.database import open_database
from bot.flow_runtime import LLMModel
from bot.llm_config import llm_config, secret_store
from bot.sandbox import sandbox_settings
from bot.settings import Settings, SettingsError
from storage.usage import SqlUsageSink
from webhooks.repo_config import CONFIG_PATH, RepoConfig, RepoConfigError, parse_repo_config

SCRIPTED_PREFIX = "scripted:"
SHOWN = ("comment", "review", "check_run", "pull_request", "reply")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run", help="run the team on a local git repository; the result is a branch"
    )
    parser.add_argument("--repo", type=Path, default=Path("."), help="the git repository")
    parser.add_argument(
        "--model",
        help="PROVIDER:MODEL for every role (default: CODEMONKEY_DEFAULT_MODEL and "
        "CODEMONKEY_ROLE_MODELS), or scripted:PATH for a scripted model from a JSON file",
    )
    parser.add_argument("--parallel", type=int, default=2, help="tasks running at once")
    parser.add_argument("--review-rounds", type=int, default=1)
    parser.add_argument(
        "--test-command",
        help="how QA runs the repository's tests in the sandbox (default: `test_command` "
        f"in the repository's {CONFIG_PATH}, else detected from its files)",
    )
    parser.add_argument(
        "--setup",
        action="append",
        metavar="COMMAND",
        help="a setup command (repeatable) that installs what the tests need, run with "
        f"network into a per-repository virtualenv (default: `setup` in {CONFIG_PATH}, "
        "else detected)",
    )
    parser.add_argument("task", help="what the team should do")
    parser.set_defaults(handler=run)


def _print_event(event: AgentEvent) -> None:
    print(f"  [{event.role} #{event.task_id}] {event.kind}: {event.text}", flush=True)


def _print_record(record: HostRecord) -> None:
    if record.action not in SHOWN:
        print(f"  ({record.action})", flush=True)
        return
    title = record.action.replace("_", " ")
    extra = f" [{record.details['event']}]" if "event" in record.details else ""
    if record.action == "check_run":
        extra = f" [{record.details.get('conclusion')}]"
    print(f"\n=== {title}{extra} ===\n{record.text}\n", flush=True)


def local_repo_config(repo: Path) -> RepoConfig:
    """The repository's own `.github/codemonkey.yml` (its working tree's), or the defaults."""
    path = repo / CONFIG_PATH
    if not path.is_file():
        return RepoConfig()
    return parse_repo_config(
        path.read_text(encoding="utf-8"), defaults=RepoConfig(), where=str(path)
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    repo: Path = args.repo
    if not (repo / ".git").exists():
        print(f"codemonkey run: {repo} is not a git repository; pass --repo", file=sys.stderr)
        return 2
    try:
        repo_config = local_repo_config(repo)
    except RepoConfigError as exc:
        print(f"codemonkey run: {exc}", file=sys.stderr)
        return 2
    llm: LLM | None = None
    scripted: ScriptedModel | None = None
    model_arg: str | None = args.model
    if model_arg and model_arg.startswith(SCRIPTED_PREFIX):
        try:
            scripted = load_script(Path(model_arg.removeprefix(SCRIPTED_PREFIX)))
        except ScriptFileError as exc:
            print(f"codemonkey run: {exc}", file=sys.stderr)
            return 2
        print("Using a SCRIPTED model (replies from a file, not a language model).")
    elif model_arg:
        try:
            check_model_id(model_arg)
        except ModelIdError as exc:
            print(f"codemonkey run: --model: {exc}", file=sys.stderr)
            return 2
    database = open_database(settings)
    if scripted is None:
        try:
            config = llm_config(settings, secret_store(settings, database))
        except SettingsError as exc:
            database.dispose()
            print(f"codemonkey run: {exc}", file=sys.stderr)
            return 2
        llm = LLM(config, registry=ProviderRegistry(config), usage=SqlUsageSink(database))

    def models(role: Role) -> tuple[ModelClient, str]:
        if scripted is not None:
            return scripted, "scripted"
        assert llm is not None
        ref = model_arg or role.model_ref(settings.default_model, settings.role_models)
        return LLMModel(llm, ref), ref

    limits = BudgetLimits(
        max_steps=settings.agent_max_steps,
        max_task_tokens=settings.agent_max_task_tokens,
        max_task_usd=settings.agent_max_task_usd,
        max_issue_tokens=settings.agent_max_issue_tokens,
        max_issue_usd=settings.agent_max_issue_usd,
        max_task_seconds=settings.agent_max_task_seconds,
    )
    options = LocalOptions(
        parallelism=args.parallel,
        review_rounds=args.review_rounds,
        loop=LoopConfig(limits=limits),
        protected_paths=tuple(
            dict.fromkeys([*settings.protected_paths, *repo_config.protected_paths])
        ),
        sandbox=sandbox_settings(settings),
        test_command=args.test_command or repo_config.test_command,
        test_command_origin="--test-command" if args.test_command else "",
        setup=tuple(args.setup) if args.setup is not None else repo_config.setup,
        lint_command=repo_config.lint_command,
        on_event=_print_event,
        on_record=_print_record,
    )
    print(f"CodeMonkey team on {repo.resolve()}: {args.task}", flush=True)
    try:
        result = run_local(
            repo,
            args.task,
            db=database,
            models=models,
            roles=load_roles(),
            data_dir=settings.data_dir,
            options=options,
        )
    except GitError as exc:
        print(f"codemonkey run: {exc}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
    print(f"\n{result.summary}\n")
    print(
        f"Branch: {result.branch}  ({result.tokens:,} tokens, ${result.cost_usd:.2f}; "
        f"{result.cache_line})"
    )
    return 0 if result.ok else 1
