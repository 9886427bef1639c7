"""The fake refuses inline review comments outside the pull request's diff, as GitHub does.

The sample change edits line 3 and deletes line 28 of a 30-line file, so the diff has two
hunks: old 1-6 / new 1-6, and old 25-30 / new 25-29. Everything else is off the diff.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakegithub.fixtures import GitHubEnv

REPO = "acme/widgets"
OLD = "".join(f"line {n}\n" for n in range(1, 31))
NEW = OLD.replace("line 3\n", "LINE 3\n").replace("line 28\n", "")
OFF_THE_DIFF = (
    "Pull request review thread line must be part of the diff and "
    "Pull request review thread diff hunk can't be blank"
)


@pytest.fixture
def pull(github_env: GitHubEnv) -> tuple[httpx.Client, int, str]:
    fake = github_env.fake
    fake.commit_files(REPO, {"lines.txt": OLD}, "Lines")
    head = fake.commit_files(REPO, {"lines.txt": NEW}, "Edit lines", branch="edit")
    pr = fake.create_pull(REPO, "edit", "main", "Edit", user="alice")
    api = httpx.Client(
        base_url=f"{github_env.api_url}/repos/{REPO}/pulls/{pr.number}",
        headers={"Authorization": f"token {github_env.token()}"},
    )
    return api, pr.number, head


def _review(api: httpx.Client, head: str, *comments: dict[str, Any]) -> httpx.Response:
    return api.post(
        "/reviews",
        json={
            "commit_id": head,
            "event": "COMMENT",
            "body": "Review.",
            "comments": [{"path": "lines.txt", "body": "here", **c} for c in comments],
        },
    )


@pytest.mark.parametrize(
    "place",
    [
        {"line": 3},  # the changed line
        {"line": 6, "side": "RIGHT"},  # a context line after it
        {"line": 29},  # new line 29 (old line 30), context of the second hunk
        {"line": 28, "side": "LEFT"},  # the deleted line
        {"line": 1, "side": "LEFT"},  # a context line on the old side
        {"start_line": 2, "line": 5, "side": "RIGHT"},
        {"start_line": 26, "start_side": "LEFT", "line": 28, "side": "LEFT"},
    ],
)
def test_comments_inside_a_hunk_are_accepted(
    pull: tuple[httpx.Client, int, str], place: dict[str, Any]
) -> None:
    api, _, head = pull
    response = _review(api, head, place)
    assert response.status_code == 200, response.text
    posted = api.get("/comments").json()
    assert [(c["line"], c["side"], c["start_line"]) for c in posted] == [
        (place["line"], place.get("side", "RIGHT"), place.get("start_line"))
    ]


@pytest.mark.parametrize(
    ("place", "error"),
    [
        ({"line": 15}, OFF_THE_DIFF),
        ({"line": 7}, OFF_THE_DIFF),  # one past the first hunk's context
        ({"line": 15, "side": "LEFT"}, OFF_THE_DIFF),
        ({"line": 24, "side": "LEFT"}, OFF_THE_DIFF),
        ({"line": 30}, "Line could not be resolved"),  # the new file has 29 lines
        (
            {"start_line": 2, "line": 26},  # the two ends in different hunks
            "Pull request review thread start line must be part of the same hunk as the line.",
        ),
        (
            {"start_line": 5, "line": 2},
            "Pull request review thread start line must precede the end line.",
        ),
        (
            {"start_line": 3, "line": 15},
            "Pull request review thread line must be part of the diff, Pull request review "
            "thread start line must be part of the same hunk as the line., and Pull request "
            "review thread diff hunk can't be blank",
        ),
    ],
)
def test_a_misplaced_comment_refuses_the_whole_review(
    github_env: GitHubEnv,
    pull: tuple[httpx.Client, int, str],
    place: dict[str, Any],
    error: str,
) -> None:
    api, number, head = pull
    response = _review(api, head, {"line": 3}, place)
    assert response.status_code == 422
    assert response.json()["message"] == "Unprocessable Entity"
    assert response.json()["errors"] == [error]
    assert api.get("/comments").json() == []
    assert not [r for r in github_env.fake.reviews.values() if r.number == number]


def test_a_file_the_pull_request_does_not_change_cannot_be_commented(
    pull: tuple[httpx.Client, int, str],
) -> None:
    api, _, head = pull
    response = api.post(
        "/reviews",
        json={
            "commit_id": head,
            "event": "COMMENT",
            "body": "Review.",
            "comments": [{"path": "README.md", "line": 1, "body": "x"}],
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [OFF_THE_DIFF]


def test_a_single_comment_off_the_diff_is_a_validation_failure(
    pull: tuple[httpx.Client, int, str],
) -> None:
    api, _, head = pull
    comment = {"commit_id": head, "path": "lines.txt", "body": "x", "side": "RIGHT"}
    refused = api.post("/comments", json={**comment, "line": 15})
    assert refused.status_code == 422
    body = refused.json()
    assert body["message"] == "Validation Failed"
    assert body["errors"][0] == {
        "resource": "PullRequestReviewComment",
        "code": "custom",
        "field": "pull_request_review_thread.line",
        "message": "pull_request_review_thread.line must be part of the diff",
    }
    assert body["errors"][-1]["field"] == "pull_request_review_thread.diff_hunk"
    accepted = api.post("/comments", json={**comment, "line": 4, "start_line": 2})
    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["line"], accepted.json()["start_line"]) == (4, 2)


def test_bodies_longer_than_githubs_limit_are_refused(
    pull: tuple[httpx.Client, int, str],
) -> None:
    api, _, head = pull
    limit = 65536
    review = {"commit_id": head, "event": "COMMENT"}
    assert api.post("/reviews", json={**review, "body": "x" * limit}).status_code == 200
    too_long = api.post("/reviews", json={**review, "body": "x" * (limit + 1)})
    assert too_long.status_code == 422
    assert "too long" in too_long.json()["errors"][0]
    inline = _review(api, head, {"line": 3, "body": "y" * (limit + 1)})
    assert inline.status_code == 422
    single = api.post(
        "/comments",
        json={"commit_id": head, "path": "lines.txt", "line": 3, "body": "z" * (limit + 1)},
    )
    assert single.status_code == 422
    assert single.json()["errors"][0]["field"] == "body"
