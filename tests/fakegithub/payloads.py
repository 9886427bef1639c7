"""Webhook payloads: GitHub's published examples with the fake's live objects laid over them."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.fakegithub import shapes
from tests.fakegithub.state import CheckRun, IssueComment, Label, Pull, Review, ReviewComment

if TYPE_CHECKING:
    from tests.fakegithub.core import FakeGitHubCore

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "github" / "webhook-examples.json"


@lru_cache(maxsize=1)
def _examples() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    return data


def example(event: str, action: str | None) -> dict[str, Any]:
    for item in _examples()[event]:
        if item.get("action") == action:
            return copy.deepcopy(item)
    raise KeyError(f"no example payload for {event}.{action}; add one to {EXAMPLES.name}")


def build_payload(
    fake: FakeGitHubCore,
    event: str,
    action: str | None,
    full_name: str,
    sender: str,
    **objects: Any,
) -> dict[str, Any]:
    """Call with the fake's lock held. `objects`: issue, comment, pull, review, review_comment,
    check_run, or the push fields (ref, before, after, commits, ...)."""
    from tests.fakegithub.render import Renderer

    render = Renderer(fake)
    payload = example(event, action)
    repo = fake.repos[full_name]
    payload["repository"] = render.repo(repo, full=False)
    payload["sender"] = shapes.user(fake.urls, fake.user(sender))
    inst = next((i for i in fake.installations.values() if full_name in i.repos), None)
    if inst is None:
        payload.pop("installation", None)
    else:
        payload["installation"] = {
            "id": inst.id,
            "node_id": shapes.node_id("Installation", inst.id),
        }
    payload.pop("organization", None)
    if "issue" in objects:
        payload["issue"] = render.issue(objects["issue"])
    comment = objects.get("comment")
    if isinstance(comment, IssueComment):
        payload["issue"] = render.issue(fake.issues[(full_name, comment.number)])
        payload["comment"] = render.comment(comment)
    pull = objects.get("pull")
    if isinstance(pull, Pull):
        payload["number"] = pull.number
        payload["pull_request"] = render.pull(pull)
    review = objects.get("review")
    if isinstance(review, Review):
        payload["review"] = render.review(review)
        payload["pull_request"] = render.pull(fake.pulls[(full_name, review.number)])
    rc = objects.get("review_comment")
    if isinstance(rc, ReviewComment):
        payload["comment"] = render.review_comment(rc)
        payload["pull_request"] = render.pull(fake.pulls[(full_name, rc.number)])
    run = objects.get("check_run")
    if isinstance(run, CheckRun):
        payload["check_run"] = render.check_run_event(run)
    label = objects.get("label")
    if isinstance(label, Label):
        payload["label"] = shapes.label(fake.urls, full_name, label)
    else:
        payload.pop("label", None)
    if isinstance(objects.get("assignee"), str):
        payload["assignee"] = shapes.user(fake.urls, fake.user(objects["assignee"]))
    push_fields = (
        "ref",
        "before",
        "after",
        "created",
        "deleted",
        "forced",
        "base_ref",
        "compare",
        "commits",
        "head_commit",
        "pusher",
    )
    for key in push_fields:
        if key in objects:
            payload[key] = objects[key]
    return payload
