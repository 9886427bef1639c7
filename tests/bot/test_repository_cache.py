"""A repository's config and team are parsed once per version of the file, however many
tasks read it at the same time; the file itself is read by every task."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from agents.githost import RepoRef
from agents.team.issue_task import AdmissionRecord
from bot import repository_cache
from bot.repository_cache import RepositoryCache, blob_sha
from bot.settings import Settings
from storage.sql.database import Database
from tests.webhooks.support import InMemoryGitHost
from webhooks.repo_config import CONFIG_PATH

REPO = RepoRef("octo", "app")


def test_blob_sha_is_what_git_names_the_file() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert blob_sha("hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert blob_sha(None) == ""


class SlowReads(InMemoryGitHost):
    """Holds every reader until all have read, so they all miss the cache together."""

    def __init__(self, readers: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(readers, timeout=10)

    def read_file(self, repo: RepoRef, path: str, ref: str) -> str | None:
        text = super().read_file(repo, path, ref)
        self.barrier.wait()
        return text


def test_tasks_reading_at_once_parse_once_and_an_edit_is_parsed_again(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    real = repository_cache.team_roles

    def counting(*args: Any) -> Any:
        parsed.append(1)
        return real(*args)

    monkeypatch.setattr(repository_cache, "team_roles", counting)
    cache = RepositoryCache(Settings(data_dir=tmp_path), database)
    host = SlowReads(readers=4)
    host.files[(CONFIG_PATH, "main")] = "roles:\n  architect:\n    enabled: false\n"
    found: list[set[str]] = []
    threads = [
        threading.Thread(target=lambda: found.append(set(cache.read(host, REPO).roles)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 and all("architect" not in roles for roles in found)
    assert len(parsed) == 1 and len(host.reads) == 4

    host.barrier = threading.Barrier(1)
    host.files[(CONFIG_PATH, "main")] = "auto_qa: false\n"
    setup = cache.read(host, REPO)
    assert not setup.config.auto_qa and "architect" in setup.roles
    assert len(parsed) == 2


def test_a_team_task_gets_the_config_it_was_admitted_with_without_reading_github(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    real = repository_cache.team_roles

    def counting(*args: Any) -> Any:
        parsed.append(1)
        return real(*args)

    monkeypatch.setattr(repository_cache, "team_roles", counting)
    cache = RepositoryCache(Settings(data_dir=tmp_path), database)
    host = InMemoryGitHost()
    first = "auto_qa: false\nroles:\n  architect:\n    enabled: false\n"
    host.files[(CONFIG_PATH, "main")] = first
    read = cache.read(host, REPO)
    assert read.sha == blob_sha(first) and len(host.reads) == 1
    record = AdmissionRecord(
        task=1,
        reason="alice has write",
        config_ref="main",
        config_sha=read.sha,
        config=dict(read.loaded.overrides),
    )
    # The version just read: the parsed setup itself, no read, no parse.
    assert cache.admitted(REPO, record) is read
    assert len(host.reads) == 1 and len(parsed) == 1

    # The file changes and an ingress task reads it; the issue admitted before keeps the
    # version that was checked, and the current version stays cached for the next read.
    host.files[(CONFIG_PATH, "main")] = "auto_review: false\n"
    current = cache.read(host, REPO)
    kept = cache.admitted(REPO, record)
    assert not kept.config.auto_qa and kept.config.auto_review and "architect" not in kept.roles
    assert kept.sha == record.config_sha and "architect" in current.roles
    assert len(host.reads) == 2
    assert cache.read(host, REPO) is current and len(parsed) == 3
