"""Where `codemonkey run` keeps its data and logs, and what it says before it starts.

The default data directory (`./.codemonkey`) is relative to where the command runs; run
inside the repository it would create an untracked directory there and nest the task
worktrees inside the very repository they check out. So when the data directory was not
chosen (no CODEMONKEY_DATA_DIR) and falls inside the repository, `run` uses the per-user
data directory instead ($XDG_DATA_HOME/codemonkey, else ~/.local/share/codemonkey). A
directory that was chosen explicitly is always respected.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from agents.team.gitworkspace import GitError, run_git
from bot.logs import JsonFormatter
from bot.settings import Settings

LOG_FILE = "run.log"


def user_data_dir(environ: Mapping[str, str]) -> Path:
    xdg = environ.get("XDG_DATA_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "codemonkey"


def run_settings(settings: Settings, repo: Path, environ: Mapping[str, str]) -> Settings:
    """`settings` with the data directory moved out of the repository when it was a default."""
    if "data_dir" in settings.model_fields_set:
        return settings
    if not settings.data_dir.resolve().is_relative_to(repo.resolve()):
        return settings
    return settings.model_copy(update={"data_dir": user_data_dir(environ)})


def uncommitted_warning(repo: Path) -> str | None:
    """A warning when the working tree has changes: the branch starts from the last commit."""
    status = run_git(repo, "status", "--porcelain").splitlines()
    if not status:
        return None
    paths = [line[3:] for line in status]
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return (
        f"warning: {len(paths)} uncommitted change{'s' if len(paths) != 1 else ''} in the "
        f"repository ({shown}) are not part of the branch, which starts from the last commit; "
        "commit them first if the team needs them"
    )


def route_logs(settings: Settings, *, verbose: bool, environ: Mapping[str, str]) -> Path | None:
    """Send log lines to a file in the data directory, unless asked to see them.

    With --verbose or CODEMONKEY_LOG_LEVEL the logs stay on stderr (as configured by
    `main`); otherwise they would interleave with the progress lines. Returns the file.
    """
    if verbose or "CODEMONKEY_LOG_LEVEL" in environ:
        if verbose and "CODEMONKEY_LOG_LEVEL" not in environ:
            logging.getLogger().setLevel(logging.INFO)
        return None
    path = settings.data_dir / "logs" / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    logging.getLogger().handlers[:] = [handler]
    return path


def settings_for_cwd(settings: Settings, cwd: Path, environ: Mapping[str, str]) -> Settings:
    """The settings `codemonkey run` would use here, so `tasks` and `trace` find its data."""
    try:
        top = Path(run_git(cwd, "rev-parse", "--show-toplevel").strip())
    except GitError:
        return settings  # not inside a repository: the data directory is used as configured
    return run_settings(settings, top, environ)
