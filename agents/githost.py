"""The git-host contract: what agents and flows may do on GitHub (or a local stand-in).

Implemented over GitHub's REST API in `bot/github/host.py`, and by a local implementation
for `codemonkey run` that prints instead of posting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Permission = Literal["admin", "maintain", "write", "triage", "read", "none"]
CheckConclusion = Literal[
    "success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"
]


class GitHostError(Exception):
    """A git-host call failed; the message says what to fix. `status` is the HTTP status."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHostAuthError(GitHostError):
    """The credentials were rejected or lack a permission the call needs (401/403)."""


class GitHostNotFound(GitHostError):
    """The repository, issue, pull request or comment does not exist or is not visible."""


class GitHostRateLimited(GitHostError):
    """A rate limit would need a longer wait than allowed; retry after `wait_seconds`."""

    def __init__(self, message: str, *, wait_seconds: float, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class RepoRef:
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @staticmethod
    def parse(full_name: str) -> RepoRef:
        owner, sep, name = full_name.partition("/")
        if not sep or not owner or not name or "/" in name:
            raise ValueError(f"expected 'owner/repo', got {full_name!r}")
        return RepoRef(owner, name)


@dataclass(frozen=True)
class Comment:
    id: int
    url: str


@dataclass(frozen=True)
class PullRequestRef:
    number: int
    url: str
    head: str
    base: str
    draft: bool
    # The fork holding `head` ("owner/name"; None when the head is in the repository
    # itself), and whether its owner lets maintainers push to that branch.
    head_repo: str | None = None
    maintainer_can_modify: bool = False


@dataclass(frozen=True)
class ReviewComment:
    """An inline comment; `body` may hold a ```suggestion block.

    `line`/`side` (and `start_line` for a multi-line comment, on the same side) must be
    inside one hunk of the pull request's diff, or GitHub refuses the whole review.
    """

    path: str
    line: int
    body: str
    side: Literal["LEFT", "RIGHT"] = "RIGHT"
    start_line: int | None = None


@dataclass(frozen=True)
class Annotation:
    path: str
    start_line: int
    end_line: int
    message: str
    level: Literal["notice", "warning", "failure"] = "failure"
    title: str = ""


@dataclass(frozen=True)
class CheckRunOutput:
    title: str
    summary: str
    text: str = ""
    annotations: tuple[Annotation, ...] = field(default_factory=tuple)


class GitHost(Protocol):
    def default_branch(self, repo: RepoRef) -> str: ...

    def permission(self, repo: RepoRef, username: str) -> Permission:
        """The user's permission on the repository ("none" when not a collaborator)."""
        ...

    def read_file(self, repo: RepoRef, path: str, ref: str) -> str | None:
        """A file's text at a ref, or None when it does not exist."""
        ...

    def comment(self, repo: RepoRef, number: int, body: str) -> Comment:
        """Comment on an issue or pull request."""
        ...

    def update_comment(self, repo: RepoRef, comment_id: int, body: str) -> None: ...

    def react(self, repo: RepoRef, comment_id: int, content: str) -> None:
        """Add a reaction (e.g. "eyes", "+1") to an issue comment."""
        ...

    def reply_to_review_comment(
        self, repo: RepoRef, number: int, comment_id: int, body: str
    ) -> Comment: ...

    def add_labels(self, repo: RepoRef, number: int, labels: list[str]) -> None: ...

    def issue_body(self, repo: RepoRef, number: int) -> str: ...

    def update_issue_body(self, repo: RepoRef, number: int, body: str) -> None: ...

    def open_pull_request(
        self, repo: RepoRef, *, head: str, base: str, title: str, body: str, draft: bool
    ) -> PullRequestRef:
        """Open a PR, or return the open one for the same head branch."""
        ...

    def update_pull_request(
        self,
        repo: RepoRef,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        ready_for_review: bool | None = None,
    ) -> None: ...

    def pull_request(self, repo: RepoRef, number: int) -> PullRequestRef: ...

    def create_review(
        self,
        repo: RepoRef,
        number: int,
        *,
        commit_sha: str,
        body: str,
        event: Literal["COMMENT", "APPROVE", "REQUEST_CHANGES"],
        comments: list[ReviewComment],
    ) -> int: ...

    def create_check_run(
        self,
        repo: RepoRef,
        *,
        name: str,
        head_sha: str,
        status: Literal["queued", "in_progress", "completed"],
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> int: ...

    def update_check_run(
        self,
        repo: RepoRef,
        check_run_id: int,
        *,
        status: Literal["queued", "in_progress", "completed"],
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> None: ...

    def clone_url(self, repo: RepoRef) -> str:
        """HTTPS clone URL without credentials; credentials travel separately."""
        ...

    def git_token(self, repo: RepoRef) -> str:
        """A token for git over HTTPS (the installation token)."""
        ...
