"""People's actions on the fake GitHub arrive as webhooks shaped like GitHub's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from tests.fakegithub.fixtures import GitHubEnv
from tests.fakegithub.hooks import WebhookDelivery

SCHEMAS = Path(__file__).resolve().parent.parent / "fixtures" / "github"


def _valid(name: str, instance: Any) -> bool:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return not list(Draft7Validator(schema).iter_errors(instance))


def _listen(env: GitHubEnv) -> list[WebhookDelivery]:
    seen: list[WebhookDelivery] = []
    env.fake.send_webhooks_to(seen.append, "secret")
    return seen


def test_label_and_assign_an_issue(github_env: GitHubEnv) -> None:
    seen = _listen(github_env)
    fake, number = github_env.fake, github_env.issue.number
    fake.label_issue("acme/widgets", number, "codemonkey", user="alice")
    fake.assign_issue("acme/widgets", number, "codemonkey[bot]", user="alice")
    labeled, assigned = (d.payload for d in seen)
    assert (seen[0].event, labeled["action"], labeled["label"]["name"]) == (
        "issues",
        "labeled",
        "codemonkey",
    )
    assert [x["name"] for x in labeled["issue"]["labels"]] == ["codemonkey"]
    assert (assigned["action"], assigned["assignee"]["login"]) == ("assigned", "codemonkey[bot]")
    assert assigned["assignee"]["type"] == "Bot"
    assert assigned["issue"]["assignees"][0]["login"] == "codemonkey[bot]"
    assert _valid("issue", assigned["issue"]) and _valid("label", labeled["label"])
    assert labeled["sender"]["login"] == "alice"


def test_human_review_and_review_comment_on_a_bot_pr(github_env: GitHubEnv) -> None:
    fake = github_env.fake
    fake.commit_files("acme/widgets", {"src/app.py": "x = 1\ny = 2\n"}, "x", branch="cm/1")
    pr = fake.create_pull("acme/widgets", "cm/1", "main", "Bot PR", user="codemonkey[bot]")
    seen = _listen(github_env)
    review = fake.submit_review(
        "acme/widgets",
        pr.number,
        user="alice",
        body="Please fix",
        comments=[("src/app.py", 2, "y should be 3")],
    )
    comment = fake.add_review_comment(
        "acme/widgets", pr.number, "src/app.py", 1, "@codemonkey rename x", user="alice"
    )
    submitted, created = (d.payload for d in seen)
    assert (seen[0].event, submitted["action"]) == ("pull_request_review", "submitted")
    assert submitted["review"]["state"] == "CHANGES_REQUESTED"
    assert submitted["review"]["id"] == review.id
    assert submitted["pull_request"]["user"]["login"] == "codemonkey[bot]"
    assert (seen[1].event, created["comment"]["id"]) == ("pull_request_review_comment", comment.id)
    assert created["comment"]["body"] == "@codemonkey rename x"
    assert _valid("pull-request-review", submitted["review"])
    assert _valid("pull-request-review-comment", created["comment"])
    assert _valid("pull-request", created["pull_request"])


def test_failed_check_run(github_env: GitHubEnv) -> None:
    fake = github_env.fake
    sha = fake.head_sha("acme/widgets", "main")
    assert sha is not None
    seen = _listen(github_env)
    fake.complete_check_run("acme/widgets", sha, "ci/tests", "failure", summary="2 failed")
    payload = seen[0].payload
    assert (seen[0].event, payload["action"]) == ("check_run", "completed")
    assert payload["check_run"]["conclusion"] == "failure"
    assert payload["check_run"]["head_sha"] == sha
    assert payload["check_run"]["check_suite"]["head_branch"] == "main"
    assert payload["check_run"]["pull_requests"] == []
    assert _valid("check-run-with-simple-check-suite", payload["check_run"])


def test_a_check_run_on_a_pull_requests_branch_names_the_pull_request(
    github_env: GitHubEnv,
) -> None:
    # GitHub's check_run webhook: check_suite.head_branch is the pushed branch, and
    # pull_requests (on the run and on its suite) lists the open PRs with that head.
    fake = github_env.fake
    sha = fake.commit_files("acme/widgets", {"ci.txt": "1\n"}, "ci", branch="codemonkey/4-ci")
    pr = fake.create_pull("acme/widgets", "codemonkey/4-ci", "main", "CI", user="alice")
    seen = _listen(github_env)
    fake.complete_check_run("acme/widgets", sha, "ci/tests", "failure")
    run = seen[0].payload["check_run"]
    assert _valid("check-run-with-simple-check-suite", run)
    assert run["check_suite"]["head_branch"] == "codemonkey/4-ci"
    assert run["check_suite"]["head_sha"] == sha
    [listed] = run["pull_requests"]
    assert _valid("pull-request-minimal", listed)
    assert (listed["number"], listed["head"]["ref"], listed["head"]["sha"]) == (
        pr.number,
        "codemonkey/4-ci",
        sha,
    )
    assert listed["base"]["ref"] == "main"
    assert listed["base"]["sha"] == fake.head_sha("acme/widgets", "main")
    assert run["check_suite"]["pull_requests"] == run["pull_requests"]


def test_a_check_run_on_a_fork_pull_request_lists_no_pull_request(
    github_env: GitHubEnv,
) -> None:
    # Documented: when the suite's head branch is in a fork, head_branch is null and
    # pull_requests is empty.
    fake = github_env.fake
    fork = fake.create_fork("acme/widgets", "mallory").full_name
    sha = fake.commit_files(fork, {"ci.txt": "1\n"}, "ci", branch="patch")
    fake.create_pull("acme/widgets", "patch", "main", "Fork", user="mallory", head_repo=fork)
    seen = _listen(github_env)
    fake.complete_check_run("acme/widgets", sha, "ci/tests", "failure")
    run = seen[0].payload["check_run"]
    assert run["check_suite"]["head_branch"] is None
    assert run["pull_requests"] == [] and run["check_suite"]["pull_requests"] == []


def test_labeling_a_pull_request_is_a_pull_request_event(github_env: GitHubEnv) -> None:
    fake = github_env.fake
    fake.commit_files("acme/widgets", {"f": "1\n"}, "f", branch="t")
    pr = fake.create_pull("acme/widgets", "t", "main", "T")
    seen = _listen(github_env)
    fake.label_issue("acme/widgets", pr.number, "codemonkey")
    assert (seen[0].event, seen[0].payload["action"]) == ("pull_request", "labeled")
    assert seen[0].payload["label"]["name"] == "codemonkey"


def test_a_failing_receiver_does_not_fail_the_api_call(github_env: GitHubEnv) -> None:
    def broken(delivery: WebhookDelivery) -> int:
        raise RuntimeError("receiver crashed")

    github_env.fake.send_webhooks_to(broken, "secret")
    github_env.fake.add_comment("acme/widgets", github_env.issue.number, "hi", user="alice")
    assert github_env.fake.deliveries[-1].error == "RuntimeError: receiver crashed"
