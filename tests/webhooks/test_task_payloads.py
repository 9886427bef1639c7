"""Task payloads: what ingress writes is what the flows read, and a task queued by the
previous release (payload shape 1, no `v`) still loads."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.githost import RepoRef
from agents.team.deps import FlowError, IssueRef
from storage.task_graph import TaskSnapshot
from tests.webhooks.support import all_examples
from tests.webhooks.test_routing import run
from webhooks import intents as k
from webhooks.events import parse_event
from webhooks.repo_config import RepoConfig
from webhooks.task_payloads import (
    CommentTask,
    IssueTriage,
    PayloadError,
    PullRequestTask,
    ReviewFixTask,
    load_payload,
)

# As the previous release's routing wrote them (copied from its `webhooks/routing.py`).
V1_BASE = {
    "repo": "octo/app",
    "installation_id": 5,
    "delivery_id": "d-old",
    "action": "labeled",
    "author": "alice",
    "author_type": "User",
    "author_association": "MEMBER",
}
V1_TRIAGE = {
    **V1_BASE,
    "event": "issues",
    "number": 12,
    "title": "Add a health check",
    "text": "GET /health should answer 200.",
    "labels": ["codemonkey"],
    "label": "codemonkey",
}
V1_MENTION = {
    **V1_BASE,
    "action": "created",
    "event": "issue_comment",
    "number": 7,
    "is_pull_request": True,
    "text": "@codemonkey reviewer fix the typo in the README",
    "comment_id": 99,
    "issue_title": "Docs",
    "issue_body": "A PR body",
    "role": "reviewer",
    "request": "fix the typo in the README",
}
V1_PR = {
    **V1_BASE,
    "action": "opened",
    "event": "pull_request",
    "pusher": "alice",
    "number": 3,
    "title": "Speed up the parser",
    "text": "It was slow.",
    "head_sha": "a" * 40,
    "head_ref": "fast",
    "head_repo": "octo/app",
    "base_ref": "main",
    "draft": False,
}
V1_REVIEW_FIX = {
    **V1_BASE,
    "action": "submitted",
    "event": "pull_request_review",
    "number": 3,
    "review_id": 8,
    "head_sha": "b" * 40,
    "head_ref": "codemonkey/3-x",
    "head_repo": "octo/app",
    "text": "Please rename `f`.",
}
# The previous release's `IssueRef.payload()` (the issue's own tasks: plan, implement, ...).
V1_TEAM = {
    "repo": "octo/app",
    "issue": 12,
    "issue_title": "Add a health check",
    "issue_body": "GET /health should answer 200.",
    "branch": "codemonkey/12-add-a-health-check",
    "base": "main",
    "installation_id": 5,
    "description": "Write the endpoint",
}


def test_a_queued_triage_of_the_previous_release_loads_with_its_issue_text() -> None:
    payload = load_payload(k.ISSUE_TRIAGE, V1_TRIAGE)
    assert isinstance(payload, IssueTriage)
    assert (payload.v, payload.number) == (2, 12)
    assert payload.issue_title == "Add a health check"
    assert payload.issue_body == "GET /health should answer 200."
    assert payload.repo_ref == RepoRef("octo", "app") and payload.installation_id == 5


def test_a_queued_mention_of_the_previous_release_keeps_its_comment_and_gets_canonical() -> None:
    payload = load_payload(k.MENTION_ANSWER, V1_MENTION)
    assert isinstance(payload, CommentTask)
    assert payload.comment == V1_MENTION["text"]
    assert payload.role == "code_reviewer", "the alias stored then is canonical now"
    assert payload.wants_change, "a change request on a PR is decided as ingress now decides it"
    question = load_payload(k.MENTION_ANSWER, {**V1_MENTION, "request": "why is this slow?"})
    assert isinstance(question, CommentTask) and not question.wants_change


def test_queued_pull_request_tasks_of_the_previous_release_load() -> None:
    pr = load_payload(k.PR_REVIEW, V1_PR)
    assert isinstance(pr, PullRequestTask)
    assert (pr.issue_title, pr.issue_body) == ("Speed up the parser", "It was slow.")
    fix = load_payload(k.PR_FIX, V1_REVIEW_FIX)
    assert isinstance(fix, ReviewFixTask) and fix.comment == "Please rename `f`."


def test_an_issue_task_of_the_previous_release_loads() -> None:
    snapshot = TaskSnapshot(
        id=1,
        parent_id=None,
        project_id=None,
        kind="implement",
        role="backend_developer",
        title="t",
        payload=V1_TEAM,
        paths=(),
        state="queued",
        group_key="octo/app#12",
        result=None,
        error=None,
    )
    issue = IssueRef.of(snapshot)
    assert (issue.number, issue.branch, issue.installation_id) == (12, V1_TEAM["branch"], 5)
    assert issue.payload()["number"] == 12 and "issue" not in issue.payload()
    with pytest.raises(FlowError, match="has no issue in its payload"):
        IssueRef.of(replace(snapshot, payload={"repo": "octo/app"}))


def test_a_payload_no_shape_fits_says_how_to_recover() -> None:
    with pytest.raises(PayloadError, match="trigger the work again"):
        load_payload(k.ISSUE_TRIAGE, {**V1_TRIAGE, "text": None})
    with pytest.raises(PayloadError, match="no payload model for task kind 'deploy'"):
        load_payload("deploy", V1_TRIAGE)


def test_what_ingress_writes_is_what_the_flows_read() -> None:
    """Every intent GitHub's example deliveries route to is a current payload of its kind,
    which loads back unchanged."""
    config = RepoConfig.defaults(trigger_label="bug")
    routed: set[str] = set()
    for event, _, body in all_examples():
        if parse_event(event, body) is None or not body.get("repository"):
            continue
        for intent in run(event, body, config).intents:
            routed.add(intent.kind)
            assert intent.payload["v"] == 2
            assert load_payload(intent.kind, intent.payload).dump() == dict(intent.payload)
    assert {k.ISSUE_TRIAGE, k.PR_REVIEW, k.PR_QA, k.REPO_INDEX} <= routed
