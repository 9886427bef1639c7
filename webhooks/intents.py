"""What a delivery asks for: intents, each of which becomes one task.

Task kinds (the `tasks.kind` column) and the payload fields each carries. Every payload has
`repo` ("owner/name"), `installation_id` (int or null), `delivery_id`, `event`, `action`,
`author` (login of the person who caused it), `author_association` (GitHub's
OWNER/MEMBER/COLLABORATOR/CONTRIBUTOR/NONE...) and `author_type` ("User" or "Bot").
Text fields are already sanitized (`webhooks.sanitize`); fence them with
`fence_untrusted` before they reach a model. Every kind written by a person also carries
`issue_title` and `issue_body`: the issue's (or pull request's) text as the delivery
carried it, sanitized; work started from it never re-reads the issue from GitHub. Trust
is checked by the worker (`webhooks.trust`), not at ingress.

Kinds (role that runs it; trigger; extra payload fields):

- `issue.triage` (pm): issues opened/labeled with the trigger label, or assigned to the bot;
  number, title, text.
- `mention.answer` (the addressed role, or null for the default): `@slug [role] text` in an
  issue comment, PR review comment or review; number, is_pull_request, comment_id |
  review_comment_id (+ path, line, head_sha, head_ref) | review_id, role, request, text.
- `command.plan` (pm), `command.implement` (backend), `command.review` (reviewer),
  `command.test` (qa): a slash command in the same places; the same fields plus command, args.
- `command.stop`, `command.status` (no role): number, is_pull_request, command, args,
  target_group (the group to cancel or report on).
- `pr.review` (reviewer), `pr.qa` (qa): pull_request opened/synchronize/reopened/
  ready_for_review; number, title, text, head_sha, head_ref, head_repo, base_ref, draft,
  pusher.
- `pr.fix` (backend): a review requesting changes on a bot PR; number, review_id, head_sha,
  head_ref, text.
- `check.fix` (devops): check_run completed with failure/timed_out on a bot branch; number,
  numbers, check_run_id, check_name, head_sha, head_ref, details_url.
- `repo.index` (no role): installation created / repositories added (full=True), push to the
  default branch (full=False unless the commit list is incomplete); full, before, after,
  changed, removed.

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

# The role that runs each kind when the payload names none.
DEFAULT_ROLES: dict[str, str | None] = {
    ISSUE_TRIAGE: "pm",
    MENTION_ANSWER: None,
    COMMAND_PLAN: "pm",
    COMMAND_IMPLEMENT: "backend",
    COMMAND_REVIEW: "reviewer",
    COMMAND_TEST: "qa",
    COMMAND_STOP: None,
    COMMAND_STATUS: None,
    PR_REVIEW: "reviewer",
    PR_QA: "qa",
    PR_FIX: "backend",
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
