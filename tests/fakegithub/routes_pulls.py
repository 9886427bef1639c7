"""Fake handlers: pull requests, reviews, review comments, and the draft GraphQL mutations."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tests.fakegithub import hunks, shapes
from tests.fakegithub.api import (
    GRAPHQL_MUTATION,
    ApiError,
    Ctx,
    Emit,
    Reply,
    invalid,
    not_found,
    refuse_long_body,
)
from tests.fakegithub.state import (
    Issue,
    Pull,
    Review,
    ReviewComment,
)

REVIEW_STATES = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}


# pull requests, reviews


def _pull(ctx: Ctx) -> Pull:
    repo = ctx.repo()
    pr = ctx.fake.pulls.get((repo.full_name, int(ctx.params["number"])))
    if pr is None:
        raise not_found()
    return pr


def list_pulls(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    state = ctx.query.get("state", "open")
    head = ctx.query.get("head")
    items = []
    for pr in ctx.fake.pulls.values():
        issue = ctx.fake.issues[(pr.repo, pr.number)]
        if pr.repo != repo.full_name or (state != "all" and issue.state != state):
            continue
        if head is not None and head != f"{repo.owner}:{pr.head}":
            continue
        if "base" in ctx.query and ctx.query["base"] != pr.base:
            continue
        items.append(ctx.render.pull(pr))
    items.sort(key=lambda p: -int(p["number"]))
    return ctx.page(items, f"{ctx.fake.urls.repo_api(repo.full_name)}/pulls")


def create_pull(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    title = ctx.field("title", str, required=True)
    head = ctx.field("head", str, required=True)
    base = ctx.field("base", str, required=True)
    body = ctx.field("body", str) or None
    refuse_long_body(body, "PullRequest")
    draft = bool(ctx.field("draft", bool))
    owner, sep, branch = head.partition(":")
    if sep and owner != repo.owner:
        raise invalid(resource="PullRequest", field="head", code="invalid")
    branch = branch if sep else head
    if ctx.fake.head_sha(repo.full_name, f"refs/heads/{branch}") is None:
        raise invalid(resource="PullRequest", field="head", code="invalid")
    if ctx.fake.head_sha(repo.full_name, f"refs/heads/{base}") is None:
        raise invalid(resource="PullRequest", field="base", code="invalid")
    for pr in ctx.fake.pulls.values():
        if (
            pr.repo == repo.full_name
            and pr.head == branch
            and ctx.fake.issues[(pr.repo, pr.number)].state == "open"
        ):
            raise invalid(
                resource="PullRequest",
                code="custom",
                message=f"A pull request already exists for {repo.owner}:{branch}.",
            )
    if ctx.fake.head_sha(repo.full_name, branch) == ctx.fake.head_sha(repo.full_name, base):
        raise invalid(
            resource="PullRequest", code="custom", message=f"No commits between {base} and {branch}"
        )
    issue = Issue(
        ctx.fake.next_id(),
        repo.full_name,
        ctx.fake.next_number_counter(repo.full_name),
        title,
        body,
        ctx.actor,
        is_pull=True,
    )
    ctx.fake.issues[(repo.full_name, issue.number)] = issue
    pr = Pull(
        issue.id,
        repo.full_name,
        issue.number,
        branch,
        base,
        draft,
        shapes.node_id("PullRequest", issue.id),
    )
    ctx.fake.pulls[(repo.full_name, pr.number)] = pr
    ctx.fake.sync_pull_ref(pr)
    return Reply(
        201,
        ctx.render.pull(pr),
        emits=[Emit("pull_request", "opened", repo.full_name, ctx.actor, {"pull": pr})],
    )


def get_pull(ctx: Ctx) -> Reply:
    return Reply(200, ctx.render.pull(_pull(ctx)))


def update_pull(ctx: Ctx) -> Reply:
    pr = _pull(ctx)
    issue = ctx.fake.issues[(pr.repo, pr.number)]
    title = ctx.field("title", str)
    state = ctx.field("state", str)
    base = ctx.field("base", str)
    refuse_long_body(ctx.body.get("body") if isinstance(ctx.body, dict) else None, "PullRequest")
    if state is not None and state not in ("open", "closed"):
        raise invalid(f"Invalid request.\n\nFor 'state', {state!r} is not a valid value.")
    if base is not None and ctx.fake.head_sha(pr.repo, f"refs/heads/{base}") is None:
        raise invalid(resource="PullRequest", field="base", code="invalid")
    if title is not None:
        issue.title = title
    if isinstance(ctx.body, dict) and "body" in ctx.body:
        issue.body = ctx.field("body", str)
    if state is not None:
        issue.state = state
    if base is not None:
        pr.base = base
    issue.updated_at = time.time()
    return Reply(200, ctx.render.pull(pr))


# GitHub's limit on a review's or a comment's body (characters).
MAX_BODY_CHARS = 65536


def _file_lines(ctx: Ctx, repo: str, sha: str, path: str) -> int | None:
    found = ctx.fake.read_blob(repo, sha, path)
    return None if found is None else len(found[0].decode(errors="replace").splitlines())


def _pr_hunks(ctx: Ctx, pr: Pull, commit_id: str) -> dict[str, hunks.FileHunks]:
    """The hunks of the pull request's diff (`base...commit`), as GitHub shows them."""
    repo = ctx.fake.repos[pr.repo]
    diff = ctx.fake.git(
        repo.path, "diff", "--no-color", "--no-ext-diff", f"{pr.base}...{commit_id}"
    )
    return hunks.parse(diff)


@dataclass(frozen=True)
class Placement:
    path: str
    line: int
    side: str
    start_line: int | None
    start_side: str | None


def _placement(raw: Any) -> Placement:
    """A comment's place from the request, or GitHub's 422 for a malformed one."""
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("path"), str)
        or not isinstance(raw.get("body"), str)
        or not isinstance(raw.get("line"), int)
    ):
        raise invalid("Invalid request.\n\nEach comment needs path, body and line.")
    side = raw.get("side", "RIGHT")
    start_line = raw.get("start_line")
    start_side = raw.get("start_side", side if start_line is not None else None)
    for name, value in (("side", side), ("start_side", start_side)):
        if value is not None and value not in ("LEFT", "RIGHT"):
            raise invalid(f"Invalid request.\n\nFor '{name}', {value!r} is not a valid value.")
    if start_line is not None and not isinstance(start_line, int):
        raise invalid(f"Invalid request.\n\nFor 'start_line', {start_line!r} is not a valid value.")
    return Placement(raw["path"], raw["line"], side, start_line, start_side)


def _objections(
    ctx: Ctx, pr: Pull, commit_id: str, files: dict[str, hunks.FileHunks], place: Placement
) -> list[tuple[str, str]] | str:
    """Why GitHub refuses this place: a resolution error string, objections, or []."""
    lines = _file_lines(ctx, pr.repo, commit_id, place.path)
    if lines is None and place.path not in files:
        return "Path could not be resolved"
    if lines is not None and place.side == "RIGHT" and not 1 <= place.line <= lines:
        return "Line could not be resolved"
    return hunks.problems(
        files, place.path, place.line, place.side, place.start_line, place.start_side or place.side
    )


def create_review(ctx: Ctx) -> Reply:
    pr = _pull(ctx)
    issue = ctx.fake.issues[(pr.repo, pr.number)]
    head_sha = ctx.fake.pull_head_sha(pr) or ""
    commit_id = ctx.field("commit_id", str) or head_sha
    if ctx.fake.head_sha(pr.repo, commit_id) is None:
        raise invalid("Unprocessable Entity", message="commit_id is not part of the pull request")
    event = ctx.field("event", str)
    body = ctx.field("body", str) or ""
    if event is not None and event not in REVIEW_STATES:
        raise invalid(f"Invalid request.\n\nFor 'event', {event!r} is not a valid value.")
    if event in ("REQUEST_CHANGES", "COMMENT") and not body.strip():
        raise invalid(
            "Unprocessable Entity", message=f"Review Can not be empty when event is {event}"
        )
    if event in ("APPROVE", "REQUEST_CHANGES") and issue.user == ctx.actor:
        verb = "approve" if event == "APPROVE" else "request changes on"
        raise invalid("Unprocessable Entity", message=f"Can not {verb} your own pull request")
    if len(body) > MAX_BODY_CHARS:
        raise ApiError(422, "Unprocessable Entity", errors=[_too_long("Body")])
    raw_comments = ctx.field("comments", list) or []
    review = Review(
        ctx.fake.next_id(),
        pr.repo,
        pr.number,
        ctx.actor,
        body,
        REVIEW_STATES.get(event or "", "PENDING"),
        commit_id,
    )
    files = _pr_hunks(ctx, pr, commit_id)
    made: list[ReviewComment] = []
    # One misplaced comment refuses the whole review (validation_failed_simple: strings).
    for raw in raw_comments:
        place = _placement(raw)
        if len(raw["body"]) > MAX_BODY_CHARS:
            raise ApiError(422, "Unprocessable Entity", errors=[_too_long("Body")])
        objections = _objections(ctx, pr, commit_id, files, place)
        if isinstance(objections, str):
            raise ApiError(422, "Unprocessable Entity", errors=[objections])
        if objections:
            raise ApiError(422, "Unprocessable Entity", errors=[hunks.sentence(objections)])
        made.append(_comment(ctx, pr, review.id, place, raw["body"], commit_id))
    ctx.fake.reviews[review.id] = review
    for comment in made:
        ctx.fake.review_comments[comment.id] = comment
    emits = []
    if review.state != "PENDING":
        emits.append(
            Emit("pull_request_review", "submitted", pr.repo, ctx.actor, {"review": review})
        )
        emits += [
            Emit(
                "pull_request_review_comment", "created", pr.repo, ctx.actor, {"review_comment": c}
            )
            for c in made
        ]
    return Reply(200, ctx.render.review(review), emits=emits)


def create_review_comment(ctx: Ctx) -> Reply:
    """`POST .../pulls/{n}/comments`: one thread outside a review (validation_failed)."""
    pr = _pull(ctx)
    body = ctx.field("body", str, required=True)
    if len(body) > MAX_BODY_CHARS:
        raise invalid(
            resource="PullRequestReviewComment",
            code="custom",
            field="body",
            message=f"body is too long (maximum is {MAX_BODY_CHARS} characters)",
        )
    if ctx.field("in_reply_to", int) is not None:
        ctx.params["comment_id"] = str(ctx.body["in_reply_to"])
        return reply_review_comment(ctx)
    commit_id = ctx.field("commit_id", str, required=True)
    if ctx.fake.head_sha(pr.repo, commit_id) is None:
        raise invalid(resource="PullRequestReviewComment", field="commit_id", code="invalid")
    ctx.field("path", str, required=True)
    place = _placement(ctx.body)
    objections = _objections(ctx, pr, commit_id, _pr_hunks(ctx, pr, commit_id), place)
    if isinstance(objections, str):
        raise invalid(resource="PullRequestReviewComment", field="path", code="invalid")
    if objections:
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {
                    "resource": "PullRequestReviewComment",
                    "code": "missing_field" if text == "can't be blank" else "custom",
                    "field": f"pull_request_review_thread.{name}",
                    **(
                        {}
                        if text == "can't be blank"
                        else {"message": f"pull_request_review_thread.{name} {text}"}
                    ),
                }
                for name, text in objections
            ],
        )
    comment = _comment(ctx, pr, None, place, body, commit_id)
    ctx.fake.review_comments[comment.id] = comment
    return Reply(
        201,
        ctx.render.review_comment(comment),
        emits=[
            Emit(
                "pull_request_review_comment",
                "created",
                pr.repo,
                ctx.actor,
                {"review_comment": comment},
            )
        ],
    )


def _comment(
    ctx: Ctx, pr: Pull, review_id: int | None, place: Placement, body: str, commit_id: str
) -> ReviewComment:
    return ReviewComment(
        ctx.fake.next_id(),
        pr.repo,
        pr.number,
        review_id,
        place.path,
        place.line,
        place.side,
        body,
        commit_id,
        ctx.actor,
        start_line=place.start_line,
        start_side=place.start_side,
    )


def _too_long(name: str) -> str:
    return f"{name} is too long (maximum is {MAX_BODY_CHARS} characters)"


def list_reviews(ctx: Ctx) -> Reply:
    pr = _pull(ctx)
    items = [
        ctx.render.review(r)
        for r in ctx.fake.reviews.values()
        if r.repo == pr.repo and r.number == pr.number
    ]
    return ctx.page(items, f"{ctx.fake.urls.repo_api(pr.repo)}/pulls/{pr.number}/reviews")


def list_review_comments(ctx: Ctx) -> Reply:
    pr = _pull(ctx)
    items = [
        ctx.render.review_comment(c)
        for c in ctx.fake.review_comments.values()
        if c.repo == pr.repo and c.number == pr.number
    ]
    return ctx.page(items, f"{ctx.fake.urls.repo_api(pr.repo)}/pulls/{pr.number}/comments")


def reply_review_comment(ctx: Ctx) -> Reply:
    pr = _pull(ctx)
    target = ctx.fake.review_comments.get(int(ctx.params["comment_id"]))
    if target is None or target.repo != pr.repo or target.number != pr.number:
        raise not_found()
    body = ctx.field("body", str, required=True)
    root = target.in_reply_to_id or target.id
    reply = ReviewComment(
        ctx.fake.next_id(),
        pr.repo,
        pr.number,
        target.review_id,
        target.path,
        target.line,
        target.side,
        body,
        target.commit_id,
        ctx.actor,
        root,
    )
    ctx.fake.review_comments[reply.id] = reply
    return Reply(
        201,
        ctx.render.review_comment(reply),
        emits=[
            Emit(
                "pull_request_review_comment",
                "created",
                pr.repo,
                ctx.actor,
                {"review_comment": reply},
            )
        ],
    )


# graphql (only the pull-request draft mutations the REST API lacks)


def graphql(ctx: Ctx) -> Reply:
    query = ctx.field("query", str, required=True)
    match = GRAPHQL_MUTATION.search(query)
    variables = ctx.body.get("variables") or {}
    mutations = {"markPullRequestReadyForReview": False, "convertPullRequestToDraft": True}
    if match is None or match.group(2) not in mutations:
        return Reply(
            200,
            {
                "errors": [
                    {
                        "message": "The fake supports only "
                        "markPullRequestReadyForReview/convertPullRequestToDraft"
                    }
                ]
            },
        )
    name = match.group(2)
    node = (variables.get("input") or {}).get("pullRequestId")
    pr = next((p for p in ctx.fake.pulls.values() if p.node_id == node), None)
    if pr is None or ctx.grant is None or pr.repo not in ctx.grant.repos:
        return Reply(
            200,
            {
                "data": {name: None},
                "errors": [
                    {
                        "type": "NOT_FOUND",
                        "path": [name],
                        "message": f"Could not resolve to a node with the global id of '{node}'",
                    }
                ],
            },
        )
    was = pr.draft
    pr.draft = mutations[name]
    emits = []
    if was != pr.draft:
        action = "converted_to_draft" if pr.draft else "ready_for_review"
        emits.append(Emit("pull_request", action, pr.repo, ctx.actor, {"pull": pr}))
    out: dict[str, Any] = {"pullRequest": {"isDraft": pr.draft}}
    if "clientMutationId" in (variables.get("input") or {}):
        out["clientMutationId"] = variables["input"]["clientMutationId"]
    return Reply(200, {"data": {name: out}}, emits=emits)
