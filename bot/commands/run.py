"""`codemonkey run --repo PATH [--model M] "task"`: the team on a local git repository.

No GitHub: the plan, review and summary are printed instead of posted, progress streams
to the terminal, and the result is a `codemonkey/<n>-<slug>` branch in the repository.
`--model scripted:PATH` runs a scripted model from a JSON file (for demos and tests; it is
not a language model and says so).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from agents.git.process import GitError
from agents.providers.llm import LLM
from agents.providers.model_ids import ModelIdError, check_model_id
from agents.providers.registry import ProviderRegistry
from agents.providers.script_file import ScriptFileError, load_script
from agents.providers.scripted import ScriptedModel
from agents.roles import Role, load_roles
from agents.runtime.budget import BudgetLimits
from agents.runtime.loop import LoopConfig
from agents.runtime.ports import ModelClient
from agents.team.local import LocalOptions, RunInterrupted, run_local
from agents.team.local_outcome import branch_changes, drop_branch, judge
from bot.data_dir import run_settings
from bot.llm_config import llm_config, secret_store
from bot.open_database import open_database
from bot.role_models import LLMModel
from bot.run_report import RunReporter
from bot.run_setup import route_logs, uncommitted_warning
from bot.sandbox_setup import repository_sandbox
from bot.settings import Settings, SettingsError
from storage.usage import SqlUsageSink
from webhooks.repo_config import CONFIG_PATH, RepoConfig, RepoConfigError, parse_repo_config

SCRIPTED_PREFIX = "scripted:"
EXIT_INTERRUPTED = 130


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
    parser.add_argument(
        "--max-steps",
        type=_positive_int,
        metavar="N",
        help="model calls each task may make (default: `budgets.max_steps` in the "
        f"repository's {CONFIG_PATH}, else 40)",
    )
    parser.add_argument(
        "--max-cost",
        type=_positive_float,
        metavar="USD",
        help="what the whole run may spend on models, in US dollars (default: "
        "CODEMONKEY_AGENT_MAX_ISSUE_USD, and per task the lower of `budgets.max_cost_usd` "
        "and CODEMONKEY_AGENT_MAX_TASK_USD)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="log to stderr (default: to run.log in the data directory)",
    )
    parser.add_argument("task", help="what the team should do")
    parser.set_defaults(handler=run)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount, e.g. 2.50") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be above 0")
    return value


def run_limits(
    settings: Settings, config: RepoConfig, max_steps: int | None, max_cost: float | None
) -> BudgetLimits:
    """The repository's budgets within the service's, as the GitHub flows use them; the
    flags replace them. `--max-cost` bounds the whole run (all its tasks) and so each task."""
    task_usd = min(config.budgets.max_cost_usd, settings.agent_max_task_usd)
    return BudgetLimits(
        max_steps=max_steps or min(config.budgets.max_steps, settings.agent_max_steps),
        max_task_tokens=min(config.budgets.max_tokens, settings.agent_max_task_tokens),
        max_task_usd=max_cost or task_usd,
        max_issue_tokens=settings.agent_max_issue_tokens,
        max_issue_usd=max_cost or settings.agent_max_issue_usd,
        max_task_seconds=settings.agent_max_task_seconds,
    )


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
    settings = run_settings(settings, repo, os.environ)
    log_file = route_logs(settings, verbose=args.verbose, environ=os.environ)
    reporter = RunReporter()
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

    limits = run_limits(settings, repo_config, args.max_steps, args.max_cost)
    options = LocalOptions(
        parallelism=args.parallel,
        review_rounds=args.review_rounds,
        loop=LoopConfig(limits=limits),
        protected_paths=tuple(
            dict.fromkeys([*settings.protected_paths, *repo_config.protected_paths])
        ),
        sandbox=repository_sandbox(settings, repo_config.image),
        test_command=args.test_command or repo_config.test_command,
        test_command_origin="--test-command" if args.test_command else "",
        setup=tuple(args.setup) if args.setup is not None else repo_config.setup,
        lint_command=repo_config.lint_command,
        on_event=reporter.event,
        on_record=reporter.record,
    )
    print(f"CodeMonkey team on {repo.resolve()}: {args.task}", flush=True)
    warning = uncommitted_warning(repo)
    if warning is not None:
        print(f"codemonkey run: {warning}", file=sys.stderr, flush=True)
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
    except RunInterrupted as stop:
        _interrupted(repo, stop, reporter, log_file)
    except GitError as exc:
        print(f"codemonkey run: {exc}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
    changes = branch_changes(repo, result.base, result.branch)
    dropped = changes.empty and drop_branch(repo, result.branch)
    verdict = judge(result.tasks, result.records, changes)
    reporter.report(result, verdict, changes, branch_dropped=dropped, log_file=log_file)
    if not verdict.ok:
        print(f"codemonkey run: {verdict.reason}", file=sys.stderr)
    return 0 if verdict.ok else 1


def _interrupted(
    repo: Path, stop: RunInterrupted, reporter: RunReporter, log_file: Path | None
) -> NoReturn:
    """Say what was left, then leave at once.

    Tasks still running sit in a model call or a sandboxed command that cannot be
    interrupted from here; waiting for them is what made Ctrl-C take half a minute. The
    process exit ends them (sandboxed commands die with their parent), and their rows stay
    `running` in this run's database, which nothing resumes.
    """
    changes = branch_changes(repo, stop.base, stop.branch)
    dropped = changes.empty and drop_branch(repo, stop.branch)
    reporter.interrupted(
        stop.branch, stop.base, stop.tasks, changes, branch_dropped=dropped, log_file=log_file
    )
    print("codemonkey run: interrupted", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(EXIT_INTERRUPTED)
