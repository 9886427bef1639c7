"""Where `codemonkey run` writes its logs, and what it says before it starts."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from agents.git.process import git_output
from bot.logs import JsonFormatter
from bot.settings import Settings

LOG_FILE = "run.log"


def uncommitted_warning(repo: Path) -> str | None:
    """A warning when the working tree has changes: the branch starts from the last commit."""
    status = git_output(repo, "status", "--porcelain").splitlines()
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
