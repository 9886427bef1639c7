"""Where `codemonkey run` keeps its data when none was chosen.

The default data directory (`./.codemonkey`) is relative to where the command runs; run
inside the repository it would create an untracked directory there and nest the task
worktrees inside the very repository they check out. So when the data directory was not
chosen (no CODEMONKEY_DATA_DIR) and falls inside the repository, `run` uses the per-user
data directory instead ($XDG_DATA_HOME/codemonkey, else ~/.local/share/codemonkey). A
directory that was chosen explicitly is always respected. `tasks` and `trace` apply the
same rule so they read what `run` wrote. Light on purpose: `tasks` and `trace` import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from agents.git.process import plain_git
from bot.settings import Settings


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


def settings_for_cwd(settings: Settings, cwd: Path, environ: Mapping[str, str]) -> Settings:
    """The settings `codemonkey run` would use here, so `tasks` and `trace` find its data."""
    found = plain_git(cwd, "rev-parse", "--show-toplevel", timeout=30.0)
    if found.returncode != 0:
        return settings  # not inside a repository: the data directory is used as configured
    return run_settings(settings, Path(found.stdout.strip()), environ)
