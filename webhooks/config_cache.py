"""The repository config as ingress sees it: a copy kept on the project row.

Ingress must answer GitHub within its 10 s limit and calls no API, so it routes with the
copy in `projects.config`. Workers write that copy every time they read
`.github/codemonkey.yml` from the default branch (every task ingress created reads it at
its admission, and every push to the default branch runs an index task, which does too),
so a change to the file reaches ingress with the push that made it. Workers check each
task against the file again before starting work (`webhooks.config_gate`), so a stale copy
never starts what the file forbids.

A copy written by a worker carries `LOADED_FROM` (the ref it was read from). A project with
no copy yet has an unknown config: ingress then routes an issue label event whatever its
label, and the worker decides with the real file.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from webhooks.repo_config import LoadedConfig, RepoConfig

LOADED_FROM = "_loaded_from"


def cached_value(loaded: LoadedConfig) -> dict[str, Any]:
    """What to store on the project row for `loaded` (an invalid file stores no overrides,
    as the defaults apply until it is fixed)."""
    overrides = {} if loaded.error else dict(loaded.overrides)
    return {**overrides, LOADED_FROM: loaded.ref}


def routing_config(stored: dict[str, Any] | None, *, defaults: RepoConfig) -> RepoConfig | None:
    """The config to route with, or None when no worker has read the file yet."""
    if not stored:
        return None
    overrides = {key: value for key, value in stored.items() if key != LOADED_FROM}
    try:
        return defaults.merged(overrides)
    except ValidationError:
        return defaults
