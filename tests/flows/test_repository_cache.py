"""A worker parses the role files once per process and a repository's config (with the
roles it overrides) once per version of the file; an edited file reaches the next task."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agents.providers.scripted import ScriptedReply
from agents.providers.types import ChatMessage, ChatOptions
from bot import repository_cache
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, SAMPLE_FILES, world
from tests.flows.scripts import BROKEN
from webhooks.repo_config import CONFIG_PATH


def _never(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    raise AssertionError("no model call was expected")


def _counted(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    real: Callable[..., Any] = getattr(repository_cache, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(repository_cache, name, counting)
    return calls


def test_tasks_of_one_repository_parse_roles_once_and_see_a_changed_config(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_github
    role_files = _counted(monkeypatch, "load_roles")
    teams = _counted(monkeypatch, "team_roles")
    files = {**SAMPLE_FILES, CONFIG_PATH: "auto_review: false\n"}
    with world(tmp_path, database, fake, _never, files=files) as w:
        fake.commit_files(REPO, {"app.py": BROKEN}, "Say hi", branch="hi")
        fake.create_pull(REPO, "hi", "main", "Say hi", user="alice", emit=True)
        w.run_until_idle()
        results = {t.kind: t for t in w.all_tasks()}
        # Two tasks, each reading the config: one parse of the role files, one team.
        assert results["pr.review"].result == {
            "ignored": f"ignored: auto_review is false in {CONFIG_PATH}"
        }, w.describe()
        assert results["pr.qa"].state == "succeeded", w.describe()
        assert (len(role_files), len(teams)) == (1, 1)

        # The file changes on the default branch with no push event: ingress still
        # routes with its old copy, the next task reads the new file.
        fake.commit_files(REPO, {CONFIG_PATH: "auto_review: false\nauto_qa: false\n"}, "No QA")
        fake.commit_files(REPO, {"app.py": BROKEN + "\n"}, "Say hi again", branch="hi2")
        before = len(w.all_tasks())
        fake.create_pull(REPO, "hi2", "main", "Say hi again", user="alice", emit=True)
        w.run_until_idle()
        [qa] = w.all_tasks()[before:]
        assert qa.kind == "pr.qa" and qa.result == {
            "ignored": f"ignored: auto_qa is false in {CONFIG_PATH}"
        }, w.describe()
        assert (len(role_files), len(teams)) == (1, 2)
