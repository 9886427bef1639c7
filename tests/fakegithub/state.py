"""The fake GitHub's data: plain dataclasses guarded by one lock in `FakeGitHub`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PERMISSIONS = ("admin", "maintain", "write", "triage", "read")
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> float:
    return time.time()


@dataclass
class User:
    login: str
    id: int
    type: str = "User"


@dataclass
class App:
    id: int
    slug: str
    name: str
    owner: str
    public_key_pem: str
    private_key_pem: str = field(repr=False)
    bot: User = field(default_factory=lambda: User("", 0))


@dataclass
class Installation:
    id: int
    account: str
    repos: set[str]
    created_at: float = field(default_factory=now)


@dataclass
class TokenGrant:
    """Who a token acts as and which repositories it reaches."""

    installation_id: int | None
    repos: set[str]
    actor: str
    expires_at: float


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    default_branch: str
    private: bool
    path: Path
    collaborators: dict[str, str] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    created_at: float = field(default_factory=now)
    # The repository this one is a fork of.
    parent: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Reaction:
    id: int
    content: str
    user: str
    created_at: float = field(default_factory=now)


@dataclass
class Issue:
    id: int
    repo: str
    number: int
    title: str
    body: str | None
    user: str
    labels: list[str] = field(default_factory=list)
    state: str = "open"
    assignees: list[str] = field(default_factory=list)
    created_at: float = field(default_factory=now)
    updated_at: float = field(default_factory=now)
    is_pull: bool = False


@dataclass
class Pull:
    id: int
    repo: str
    number: int
    head: str
    base: str
    draft: bool
    node_id: str
    merged: bool = False
    # The fork holding `head` (None: the base repository itself), and whether its owner
    # lets the base repository's maintainers push to that branch.
    head_repo: str | None = None
    maintainer_can_modify: bool = False

    @property
    def head_full_name(self) -> str:
        return self.head_repo or self.repo

    @property
    def pull_ref(self) -> str:
        return f"refs/pull/{self.number}/head"


@dataclass
class IssueComment:
    id: int
    repo: str
    number: int
    body: str
    user: str
    reactions: list[Reaction] = field(default_factory=list)
    created_at: float = field(default_factory=now)
    updated_at: float = field(default_factory=now)


@dataclass
class Review:
    id: int
    repo: str
    number: int
    user: str
    body: str
    state: str
    commit_id: str
    submitted_at: float = field(default_factory=now)


@dataclass
class ReviewComment:
    id: int
    repo: str
    number: int
    review_id: int | None
    path: str
    line: int
    side: str
    body: str
    commit_id: str
    user: str
    in_reply_to_id: int | None = None
    start_line: int | None = None
    start_side: str | None = None
    created_at: float = field(default_factory=now)
    updated_at: float = field(default_factory=now)


@dataclass
class CheckRun:
    id: int
    repo: str
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    app_id: int | None
    output: dict[str, Any] = field(default_factory=dict)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    external_id: str | None = None
    details_url: str | None = None
    started_at: float = field(default_factory=now)
    completed_at: float | None = None
    # The branch whose push made the run's check suite (GitHub's `check_suite.head_branch`);
    # None for a commit no branch of the repository points at, such as a fork PR's head.
    head_branch: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    status: int
    json: Any
    authorization: str
    """"bearer-jwt", "token", "basic" or "" (the secret itself is not kept)."""


@dataclass(frozen=True)
class Fault:
    """An injected failure for the next matching API call."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    path_prefix: str
