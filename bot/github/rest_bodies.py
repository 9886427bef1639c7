"""The JSON bodies `GitHubHost` sends, cut to GitHub's documented limits, and the pull
request reference it reads back."""

from __future__ import annotations

from typing import Any

from agents.githost import CheckRunOutput, PullRequestRef, ReviewComment
from bot.github.limits import MAX_BODY_CHARS, MAX_CHECK_OUTPUT_CHARS, fit

MAX_ANNOTATIONS_PER_REQUEST = 50  # GitHub's documented cap; the rest go in follow-up updates


def pull_request_ref(pr: Any) -> PullRequestRef:
    head_repo = pr.head.repo.full_name if pr.head.repo is not None else None
    base_repo = pr.base.repo.full_name if pr.base.repo is not None else None
    return PullRequestRef(
        int(pr.number),
        str(pr.html_url),
        str(pr.head.ref),
        str(pr.base.ref),
        bool(pr.draft),
        head_repo=None if head_repo == base_repo else head_repo,
        maintainer_can_modify=bool(pr.maintainer_can_modify),
    )


def annotation_batches(output: CheckRunOutput | None) -> list[list[dict[str, Any]]]:
    items = [
        {
            "path": a.path,
            "start_line": a.start_line,
            "end_line": a.end_line,
            "annotation_level": a.level,
            "message": a.message,
            **({"title": a.title} if a.title else {}),
        }
        for a in (output.annotations if output else ())
    ]
    step = MAX_ANNOTATIONS_PER_REQUEST
    return [items[i : i + step] for i in range(0, len(items), step)] or [[]]


def check_output_json(output: CheckRunOutput, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    # The summary points to the details (`text`) when there are some; the text to the log.
    details = "the full output is in this check run's details" if output.text else None
    summary = fit(output.summary, MAX_CHECK_OUTPUT_CHARS, what="summary", elsewhere=details)
    data: dict[str, Any] = {"title": output.title, "summary": summary}
    if output.text:
        data["text"] = fit(output.text, MAX_CHECK_OUTPUT_CHARS, what="output")
    if annotations:
        data["annotations"] = annotations
    return data


def review_comment_json(comment: ReviewComment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": comment.path,
        "line": comment.line,
        "side": comment.side,
        "body": fitted_body(comment.body, "review comment"),
    }
    if comment.start_line is not None:
        data["start_line"] = comment.start_line
        data["start_side"] = comment.side
    return data


def fitted_body(text: str, what: str) -> str:
    return fit(text, MAX_BODY_CHARS, what=what)
