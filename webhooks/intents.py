"""What a delivery asks for: intents, each of which becomes one task.

Task kinds (the `tasks.kind` column), the role that runs each (canonical role names) and
what starts it. Each kind's payload is a pydantic model in `webhooks.task_payloads`, with
every field described there. Text fields are already sanitized (`webhooks.sanitize`);
fence them with `fence_untrusted` before they reach a model. Work started from a person's
trigger uses the issue text pinned at ingress (`issue_title`/`issue_body`), never a fresh
read. Trust is checked by the worker (`webhooks.trust`): it needs the author's permission
from GitHub, which ingress must not wait for.

- `issue.triage` (project_manager): issues opened/labeled with the trigger label, or
  assigned to the bot.
- `mention.answer` (the addressed role, or null for the default): `@slug [role] text` in an
  issue comment, PR review comment or review.
- `command.plan` (project_manager), `command.implement` (backend_developer),
  `command.review` (code_reviewer), `command.test` (qa): a slash command in the same places.
- `command.stop`, `command.status` (no role): cancel or report on `target_group`.
- `pr.review` (code_reviewer), `pr.qa` (qa): pull_request opened/synchronize/reopened/
  ready_for_review.
- `pr.fix` (backend_developer): a review requesting changes on a bot PR.
- `check.fix` (devops): check_run completed with failure/timed_out on a bot branch.
- `repo.index` (no role): installation created / repositories added (full), push to the
  default branch (the changed files unless the commit list is incomplete).

Group keys: `owner/repo#N` for an issue, `owner/repo!pr-N` for a pull request; a new push to
a pull request cancels its queued `pr.review`/`pr.qa` tasks (`SUPERSEDED_BY_PUSH`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ISSUE_TRIAGE = "issue.triage"
MENTION_ANSWER = "mention.answer"
COMMAND_PLAN = "command.plan"
COMMAND_IMPLEMENT = "command.implement"
COMMAND_REVIEW = "command.review"
COMMAND_TEST = "command.test"
COMMAND_STOP = "command.stop"
COMMAND_STATUS = "command.status"
PR_REVIEW = "pr.review"
PR_QA = "pr.qa"
PR_FIX = "pr.fix"
CHECK_FIX = "check.fix"
REPO_INDEX = "repo.index"

TASK_KINDS = (
    ISSUE_TRIAGE,
    MENTION_ANSWER,
    COMMAND_PLAN,
    COMMAND_IMPLEMENT,
    COMMAND_REVIEW,
    COMMAND_TEST,
    COMMAND_STOP,
    COMMAND_STATUS,
    PR_REVIEW,
    PR_QA,
    PR_FIX,
    CHECK_FIX,
    REPO_INDEX,
)

# The role that runs each kind when the payload names none (canonical role names).
DEFAULT_ROLES: dict[str, str | None] = {
    ISSUE_TRIAGE: "project_manager",
    MENTION_ANSWER: None,
    COMMAND_PLAN: "project_manager",
    COMMAND_IMPLEMENT: "backend_developer",
    COMMAND_REVIEW: "code_reviewer",
    COMMAND_TEST: "qa",
    COMMAND_STOP: None,
    COMMAND_STATUS: None,
    PR_REVIEW: "code_reviewer",
    PR_QA: "qa",
    PR_FIX: "backend_developer",
    CHECK_FIX: "devops",
    REPO_INDEX: None,
}

COMMAND_KINDS = {
    "plan": COMMAND_PLAN,
    "implement": COMMAND_IMPLEMENT,
    "review": COMMAND_REVIEW,
    "test": COMMAND_TEST,
    "stop": COMMAND_STOP,
    "status": COMMAND_STATUS,
}

# Kinds a new push to the pull request makes obsolete while still queued.
SUPERSEDED_BY_PUSH = (PR_REVIEW, PR_QA)


def issue_group(repo: str, number: int, *, is_pull_request: bool = False) -> str:
    return f"{repo}!pr-{number}" if is_pull_request else f"{repo}#{number}"


@dataclass(frozen=True)
class Intent:
    """One task to create. `key` is unique within its delivery and, with the delivery id,
    forms the task's idempotency key, so a redelivery creates nothing new."""

    kind: str
    key: str
    title: str
    payload: Mapping[str, Any]
    role: str | None = None
    group_key: str | None = None
    # Queued tasks of this group and these kinds are cancelled when this intent is accepted.
    supersedes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepoChange:
    """A project to register (active) or unregister under an installation."""

    full_name: str
    active: bool
    default_branch: str | None = None


@dataclass(frozen=True)
class InstallationChange:
    installation_id: int
    account_login: str
    account_type: str
    # None leaves the installation row as it is; True/False sets `suspended`.
    suspended: bool | None = None
    deleted: bool = False
    repos: tuple[RepoChange, ...] = ()


@dataclass(frozen=True)
class Routing:
    """The result of routing one delivery: tasks to create, registry changes, or why not."""

    intents: tuple[Intent, ...] = ()
    installation: InstallationChange | None = None
    ignored: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @staticmethod
    def ignore(reason: str) -> Routing:
        return Routing(ignored=reason)
