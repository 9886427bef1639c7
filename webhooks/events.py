"""Typed webhook payloads: only the fields routing and the workers use.

Payloads are untrusted input, so they are validated with pydantic at this boundary. Every
model ignores fields it does not name, so GitHub adding fields never breaks ingress.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Model):
    login: str
    id: int | None = None
    type: str = "User"

    @property
    def is_bot(self) -> bool:
        return self.type == "Bot" or self.login.endswith("[bot]")


class Label(_Model):
    name: str


class Repository(_Model):
    full_name: str
    name: str = ""
    default_branch: str = "main"
    private: bool = False
    fork: bool = False


class RepositoryBrief(_Model):
    full_name: str
    private: bool = False


class InstallationRef(_Model):
    id: int


class Account(_Model):
    login: str
    type: str = "User"


class Installation(InstallationRef):
    account: Account | None = None


class Issue(_Model):
    number: int
    title: str = ""
    body: str | None = None
    user: User
    labels: list[Label] = Field(default_factory=list)
    assignees: list[User] = Field(default_factory=list)
    author_association: str = "NONE"
    # Present when the "issue" is a pull request (issue comments on PRs).
    pull_request: dict[str, Any] | None = None
    state: str = "open"


class Comment(_Model):
    id: int
    body: str | None = None
    user: User
    author_association: str = "NONE"
    html_url: str = ""


class ReviewComment(Comment):
    path: str = ""
    line: int | None = None
    commit_id: str = ""
    in_reply_to_id: int | None = None


class BranchRepo(_Model):
    full_name: str | None = None


class Branch(_Model):
    ref: str
    sha: str
    repo: BranchRepo | None = None


class PullRequest(_Model):
    number: int
    title: str = ""
    body: str | None = None
    user: User
    head: Branch
    base: Branch
    draft: bool = False
    state: str = "open"
    author_association: str = "NONE"


class Review(_Model):
    id: int
    body: str | None = None
    state: str
    user: User
    author_association: str = "NONE"
    commit_id: str = ""


class CheckSuiteBrief(_Model):
    head_branch: str | None = None


class CheckRunPullRequest(_Model):
    number: int
    head: Branch | None = None


class App(_Model):
    slug: str | None = None


class CheckRun(_Model):
    id: int
    name: str = ""
    head_sha: str
    status: str = ""
    conclusion: str | None = None
    html_url: str = ""
    check_suite: CheckSuiteBrief | None = None
    pull_requests: list[CheckRunPullRequest] = Field(default_factory=list)
    app: App | None = None


class PushCommit(_Model):
    added: list[str] = Field(default_factory=list)
    modified: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)


class Event(_Model):
    """The envelope every delivery shares."""

    action: str | None = None
    sender: User | None = None
    repository: Repository | None = None
    installation: InstallationRef | None = None


class PingEvent(Event):
    zen: str = ""
    hook_id: int | None = None


class IssuesEvent(Event):
    issue: Issue
    label: Label | None = None
    assignee: User | None = None


class IssueCommentEvent(Event):
    issue: Issue
    comment: Comment


class PullRequestEvent(Event):
    pull_request: PullRequest


class PullRequestReviewEvent(Event):
    review: Review
    pull_request: PullRequest


class PullRequestReviewCommentEvent(Event):
    comment: ReviewComment
    pull_request: PullRequest


class CheckRunEvent(Event):
    check_run: CheckRun


class PushEvent(Event):
    ref: str
    before: str = ""
    after: str = ""
    deleted: bool = False
    # A force push: the listed commits need not cover what changed since `before`.
    forced: bool = False
    commits: list[PushCommit] = Field(default_factory=list)


class InstallationEvent(Event):
    installation: Installation
    repositories: list[RepositoryBrief] | None = None


class InstallationRepositoriesEvent(Event):
    installation: Installation
    repositories_added: list[RepositoryBrief] = Field(default_factory=list)
    repositories_removed: list[RepositoryBrief] = Field(default_factory=list)


EVENT_MODELS: dict[str, type[Event]] = {
    "ping": PingEvent,
    "issues": IssuesEvent,
    "issue_comment": IssueCommentEvent,
    "pull_request": PullRequestEvent,
    "pull_request_review": PullRequestReviewEvent,
    "pull_request_review_comment": PullRequestReviewCommentEvent,
    "check_run": CheckRunEvent,
    "push": PushEvent,
    "installation": InstallationEvent,
    "installation_repositories": InstallationRepositoriesEvent,
}


class EventParseError(ValueError):
    """The payload of a known event lacks a field we rely on."""


def parse_envelope(payload: dict[str, Any]) -> Event:
    """The common fields, for recording any delivery (even an event we do not handle)."""
    try:
        return Event.model_validate(payload)
    except ValidationError:
        return Event(
            action=payload.get("action") if isinstance(payload.get("action"), str) else None
        )


def parse_event(name: str, payload: dict[str, Any]) -> Event | None:
    """The typed event, or None when we do not handle this event name."""
    model = EVENT_MODELS.get(name)
    if model is None:
        return None
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise EventParseError(
            f"{name} payload is missing or has invalid fields: {fields}"
        ) from None
