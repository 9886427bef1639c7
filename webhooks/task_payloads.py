"""The payload of every task kind ingress creates: one pydantic model per kind, written by
routing (`model.dump()` goes into `tasks.payload`) and read by the worker's flows through
the same model (`load_payload(kind, task.payload)`).

Versioned: `v` is the shape's version. A task queued by an older release (no `v`: shape 1)
still loads; `_upgrade_v1` maps its keys onto the current ones. Shape 2 changed:

- the pinned issue/pull request text is always `issue_title`/`issue_body` (shape 1 wrote
  `title`/`text` for `issue.triage` and the `pr.*` kinds);
- what a person wrote is `comment` (shape 1: `text`) for comments, reviews and `pr.fix`;
- a mention's `role` is canonical (shape 1 stored the alias typed, e.g. `reviewer`);
- a mention carries `wants_change`, decided at ingress (a change request on a pull request
  becomes a fix; anything else an answer).

Unknown keys are ignored, so a queue shared with a newer release during a rolling deploy
never fails on a field this release does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from agents.githost import RepoRef
from agents.roles.names import role_word
from webhooks import intents as k
from webhooks.events import Event
from webhooks.routing_inputs import RoutingContext
from webhooks.sanitize import sanitize

PAYLOAD_VERSION: Literal[2] = 2
# A mention on a pull request that asks for a change (rather than a question).
CHANGE_VERBS = ("fix", "change", "update", "implement", "apply", "rename", "add", "remove")


def wants_change(request: str, *, is_pull_request: bool) -> bool:
    """Whether a mention asks for a change to the pull request (a fix) or an answer."""
    words = request.strip().lower().split()
    return is_pull_request and bool(words) and words[0].strip(":,") in CHANGE_VERBS


class TaskPayload(BaseModel):
    """What every ingress task carries: where it happened and who caused it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[2] = PAYLOAD_VERSION
    repo: str
    installation_id: int | None = None
    delivery_id: str | None = None
    event: str = ""
    action: str | None = None
    author: str | None = None
    author_type: str | None = None
    author_association: str = "NONE"

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("v", 1) == 1:
            return {**_upgrade_v1(dict(data)), "v": PAYLOAD_VERSION}
        return data

    @property
    def repo_ref(self) -> RepoRef:
        return RepoRef.parse(self.repo)

    def dump(self) -> dict[str, Any]:
        """The JSON stored in `tasks.payload`."""
        return self.model_dump(mode="json")


class IssueTriage(TaskPayload):
    """`issue.triage`: an issue opened/labeled with the trigger label, or assigned."""

    number: int
    issue_title: str
    issue_body: str
    # Checked by the worker against the repository's config (`webhooks.config_gate`).
    labels: list[str] | None = None
    label: str | None = None


class CommentTask(TaskPayload):
    """`mention.answer` and `command.*`: what a person wrote in an issue, a pull request's
    conversation, a review comment (`review_comment_id`, `path`, `line`) or a review."""

    number: int
    is_pull_request: bool = False
    comment: str = ""
    comment_id: int | None = None
    review_comment_id: int | None = None
    review_id: int | None = None
    path: str | None = None
    line: int | None = None
    head_sha: str | None = None
    head_ref: str | None = None
    head_repo: str | None = None
    # None only in tasks queued before the text was pinned at ingress.
    issue_title: str | None = None
    issue_body: str | None = None
    # A mention: the addressed role (canonical; None for the default) and its request.
    role: str | None = None
    request: str | None = None
    wants_change: bool = False
    # A slash command; `target_group` is what `/stop` and `/status` act on.
    command: str | None = None
    args: str | None = None
    target_group: str | None = None


class PullRequestTask(TaskPayload):
    """`pr.review`, `pr.qa`: a pull request opened, pushed to, reopened or made ready."""

    number: int
    issue_title: str = ""
    issue_body: str = ""
    head_sha: str
    head_ref: str
    head_repo: str | None = None
    base_ref: str
    draft: bool = False
    pusher: str | None = None


class ReviewFixTask(TaskPayload):
    """`pr.fix`: a review requesting changes on a pull request the bot opened."""

    number: int
    review_id: int
    head_sha: str
    head_ref: str
    head_repo: str | None = None
    comment: str = ""


class CheckFixTask(TaskPayload):
    """`check.fix`: a failed check run on a bot branch."""

    number: int
    numbers: list[int]
    check_run_id: int
    check_name: str
    head_sha: str
    head_ref: str | None = None
    details_url: str | None = None


class RepoIndexTask(TaskPayload):
    """`repo.index`: a full index (installation) or the files a push to the default
    branch changed (`full` when the list GitHub sent is incomplete)."""

    full: bool = True
    before: str | None = None
    after: str | None = None
    changed: list[str] = []
    removed: list[str] = []


PAYLOADS: dict[str, type[TaskPayload]] = {
    k.ISSUE_TRIAGE: IssueTriage,
    k.MENTION_ANSWER: CommentTask,
    k.COMMAND_PLAN: CommentTask,
    k.COMMAND_IMPLEMENT: CommentTask,
    k.COMMAND_REVIEW: CommentTask,
    k.COMMAND_TEST: CommentTask,
    k.COMMAND_STOP: CommentTask,
    k.COMMAND_STATUS: CommentTask,
    k.PR_REVIEW: PullRequestTask,
    k.PR_QA: PullRequestTask,
    k.PR_FIX: ReviewFixTask,
    k.CHECK_FIX: CheckFixTask,
    k.REPO_INDEX: RepoIndexTask,
}
assert set(PAYLOADS) == set(k.TASK_KINDS), "every task kind has a payload model"


class PayloadError(ValueError):
    """A stored payload that no shape of its kind describes."""


def load_payload(kind: str, data: Mapping[str, Any]) -> TaskPayload:
    """The typed payload of a task of `kind` (any stored version); PayloadError otherwise."""
    model = PAYLOADS.get(kind)
    if model is None:
        raise PayloadError(f"no payload model for task kind {kind!r}; known: {sorted(PAYLOADS)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "?" for e in exc.errors())
        raise PayloadError(
            f"the {kind} task's payload does not fit its shape ({fields}); trigger the work "
            "again (label the issue or comment the command) so a current payload is recorded"
        ) from None


def base_payload(event: Event, ctx: RoutingContext) -> dict[str, Any]:
    """The fields every ingress payload shares (`TaskPayload`), from the event."""
    sender = event.sender
    return {
        "repo": event.repository.full_name if event.repository else None,
        "installation_id": event.installation.id if event.installation else None,
        "delivery_id": ctx.delivery_id,
        "action": event.action,
        "author": sender.login if sender else None,
        "author_type": sender.type if sender else None,
        "author_association": "NONE",
    }


def pinned_issue(title: str, body: str | None) -> dict[str, Any]:
    """The issue (or pull request) text as the delivery carried it, sanitized.

    The worker checks the trigger's author and then works from this copy, never from a
    fresh fetch: an edit made after a trusted user started the work reaches the models
    only when a trusted user triggers again.
    """
    return {"issue_title": sanitize(title, max_chars=512), "issue_body": sanitize(body)}


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Shape 1 (no `v`) -> shape 2. Written for every kind at once: a key a kind does not
    name is ignored by its model."""
    title, text = data.pop("title", None), data.pop("text", None)
    if data.get("event") in ("issues", "pull_request"):
        # The issue's or pull request's own text; `issue_*` when already pinned.
        data.setdefault("issue_title", title)
        data.setdefault("issue_body", text)
        if data["issue_title"] is None:
            data.pop("issue_title")
        if data["issue_body"] is None:
            data.pop("issue_body")
    elif text is not None:
        data["comment"] = text  # a comment, review comment or review body
    if isinstance(data.get("role"), str):
        data["role"] = role_word(data["role"])
    if "request" in data and "wants_change" not in data:
        data["wants_change"] = wants_change(
            str(data["request"] or ""), is_pull_request=bool(data.get("is_pull_request"))
        )
    return data
