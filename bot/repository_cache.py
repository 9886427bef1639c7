"""Each repository's config and team, parsed once per version of its config file.

The rule: every task ingress created reads `.github/codemonkey.yml` from the default branch
once, at its admission (`bot.flows.admission`; the default branch's name and the file: two
API calls), because the checks made before any work starts (`webhooks.config_gate`,
`webhooks.trust`) must see the current file; a stale
copy must never start what the file forbids. What follows from the file is cached: the
parsed config and the roles it overrides, keyed on the repository, the default branch and
the file's git blob SHA (computed from the text read). An edit gives the file a new SHA,
so the next task to read it parses it again; an unchanged file is not parsed again in
this process. One entry per repository (a new version replaces the old), so the cache
never grows past the number of repositories the process serves.

A team task (`plan`, `implement`, ...) reads nothing: it runs with the config its issue
was admitted with, rebuilt from the settings its admission carries (`admitted`).

The role files shipped with the service (`agents/roles/*.yml`) change only with a new
release, so they are parsed once per process, on first use.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from agents.githost import GitHost, RepoRef
from agents.roles import Role, apply_overrides, load_roles
from agents.team.issue_task import AdmissionRecord
from bot.config_store import remember_config
from bot.settings import Settings
from storage.sql.database import Database
from webhooks.repo_config import CONFIG_PATH, LoadedConfig, RepoConfig, loaded_config


@dataclass(frozen=True)
class RepositorySetup:
    """A repository's config as read for one task, and the team that config makes."""

    loaded: LoadedConfig
    roles: Mapping[str, Role]
    # The git blob SHA of the file read ("" when there is none): which version this is.
    sha: str = ""

    @property
    def config(self) -> RepoConfig:
        return self.loaded.config


def blob_sha(text: str | None) -> str:
    """The git blob SHA of `text` ("" for no file): what identifies a version of a file."""
    if text is None:
        return ""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def team_roles(role_files: Mapping[str, Role], config: RepoConfig) -> dict[str, Role]:
    """The team of a repository: every role but those its config disables (the project
    manager always stays: it owns every plan), with its model overrides."""
    # The config's role names are canonical (resolved when it was parsed).
    overrides = {
        name: {"model": entry.model} for name, entry in config.roles.items() if entry.model
    }
    disabled = {name for name, entry in config.roles.items() if not entry.enabled}
    roles = apply_overrides(role_files, overrides)
    return {n: r for n, r in roles.items() if n not in disabled or r.tier == "pm"}


class RepositoryCache:
    """Reads a repository's config for a task; parses it and builds its team once per
    version of the file (see the module's rule)."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self._defaults = RepoConfig.defaults(
            trigger_label=settings.trigger_label, role_models=settings.role_models
        )
        self._database = database
        self._lock = threading.Lock()
        self._role_files: Mapping[str, Role] | None = None
        self._entries: dict[str, tuple[tuple[str, str], RepositorySetup]] = {}

    def role_files(self) -> Mapping[str, Role]:
        """The service's roles as their files define them, parsed once per process."""
        with self._lock:
            if self._role_files is None:
                self._role_files = MappingProxyType(load_roles())
            return self._role_files

    def read(self, host: GitHost, repo: RepoRef) -> RepositorySetup:
        """The repository's current config and team (reads the file; parses it only when
        it changed since this process last parsed it)."""
        ref = host.default_branch(repo)
        text = host.read_file(repo, CONFIG_PATH, ref)
        key = (ref, blob_sha(text))
        role_files = self.role_files()
        # Parsed under the lock (no I/O, milliseconds): tasks of one repository that run
        # at the same time parse a new version once, not once each.
        with self._lock:
            cached = self._entries.get(repo.full_name)
            if cached is not None and cached[0] == key:
                setup = cached[1]
            else:
                loaded = loaded_config(text, ref=ref, defaults=self._defaults)
                # Shared by every task of the repository: read-only.
                roles = MappingProxyType(team_roles(role_files, loaded.config))
                setup = RepositorySetup(loaded, roles, key[1])
                self._entries[repo.full_name] = (key, setup)
        # Ingress routes with this copy; every read refreshes it (a push to the default
        # branch runs an index task, which reads the file, so edits reach ingress).
        remember_config(self._database, repo.full_name, setup.loaded)
        return setup

    def admitted(self, repo: RepoRef, record: AdmissionRecord) -> RepositorySetup:
        """The config and team a task was admitted with, rebuilt from its admission without
        reading GitHub (the file may have changed since; the issue runs with the version
        that was checked). Not remembered for ingress: it may be an older version."""
        key = (record.config_ref, record.config_sha)
        role_files = self.role_files()
        with self._lock:
            cached = self._entries.get(repo.full_name)
            if cached is not None and cached[0] == key:
                return cached[1]
            config = self._defaults.merged(record.config)
            loaded = LoadedConfig(
                config=config,
                ref=record.config_ref,
                found=bool(record.config_sha),
                overrides=dict(record.config),
            )
            roles = MappingProxyType(team_roles(role_files, config))
            setup = RepositorySetup(loaded, roles, record.config_sha)
            if cached is None:
                # The only version known here; a newer one read later replaces it.
                self._entries[repo.full_name] = (key, setup)
            return setup
