"""Pytest fixtures for a running fake GitHub; import them into a conftest.py:

    from tests.fakegithub.fixtures import fake_github, github_env  # noqa: F401

`github_env` is a ready world: repo `acme/widgets` (files README.md, src/app.py), the app
installed on it, `alice` with write and `mallory` with read, issue #1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakegithub.fake import FakeGitHub
from tests.fakegithub.server import FakeGitHubServer
from tests.fakegithub.state import Installation, Issue, Repo


@dataclass(frozen=True)
class GitHubEnv:
    fake: FakeGitHub
    repo: Repo
    installation: Installation
    issue: Issue

    @property
    def api_url(self) -> str:
        return self.fake.urls.api

    @property
    def app_id(self) -> int:
        return self.fake.app.id

    @property
    def private_key(self) -> str:
        return self.fake.app.private_key_pem

    def token(self) -> str:
        """An installation token for the installation, minted directly."""
        return self.fake.issue_installation_token(self.installation.id)


@pytest.fixture
def fake_github(tmp_path: Path) -> Iterator[FakeGitHub]:
    """An empty fake GitHub served on 127.0.0.1; `fake_github.urls.api` is the API root."""
    fake = FakeGitHub(tmp_path / "fake-github")
    with FakeGitHubServer(fake):
        yield fake


@pytest.fixture
def github_env(fake_github: FakeGitHub) -> GitHubEnv:
    fake = fake_github
    repo = fake.create_repo(
        "acme/widgets",
        {"README.md": "# widgets\n", "src/app.py": "def main() -> None:\n    print('hi')\n"},
    )
    inst = fake.install("acme", ["acme/widgets"])
    fake.set_permission("acme/widgets", "alice", "write")
    fake.set_permission("acme/widgets", "mallory", "read")
    issue = fake.create_issue(
        "acme/widgets", "Add a greeting", "Please add a greeting.", user="alice"
    )
    return GitHubEnv(fake, repo, inst, issue)
