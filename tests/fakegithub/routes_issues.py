"""Fake handlers: issues, issue comments, reactions, labels."""

from __future__ import annotations

import time

from tests.fakegithub import shapes
from tests.fakegithub.api import (
    Ctx,
    Emit,
    Reply,
    invalid,
    not_found,
    refuse_long_body,
)
from tests.fakegithub.state import (
    REACTIONS,
    Issue,
    IssueComment,
    Reaction,
)

# issues, comments, reactions, labels


def _issue(ctx: Ctx) -> Issue:
    repo = ctx.repo()
    issue = ctx.fake.issues.get((repo.full_name, int(ctx.params["number"])))
    if issue is None:
        raise not_found()
    return issue


def get_issue(ctx: Ctx) -> Reply:
    return Reply(200, ctx.render.issue(_issue(ctx)))


def update_issue(ctx: Ctx) -> Reply:
    issue = _issue(ctx)
    title = ctx.field("title", str)
    body = ctx.body.get("body") if isinstance(ctx.body, dict) else None
    if body is not None and not isinstance(body, str):
        raise invalid("Invalid request.\n\nFor 'body', it is not a string.")
    refuse_long_body(body, "Issue")
    state = ctx.field("state", str)
    if state is not None and state not in ("open", "closed"):
        raise invalid(f"Invalid request.\n\nFor 'state', {state!r} is not a valid value.")
    if title is not None:
        issue.title = title
    if isinstance(ctx.body, dict) and "body" in ctx.body:
        issue.body = body
    if state is not None:
        issue.state = state
    labels = ctx.field("labels", list)
    if labels is not None:
        issue.labels = [ctx.fake.create_label(issue.repo, str(n)).name for n in labels]
    issue.updated_at = time.time()
    return Reply(200, ctx.render.issue(issue))


def list_comments(ctx: Ctx) -> Reply:
    issue = _issue(ctx)
    items = [
        ctx.render.comment(c)
        for c in ctx.fake.comments.values()
        if c.repo == issue.repo and c.number == issue.number
    ]
    return ctx.page(items, f"{ctx.fake.urls.repo_api(issue.repo)}/issues/{issue.number}/comments")


def create_comment(ctx: Ctx) -> Reply:
    issue = _issue(ctx)
    body = ctx.field("body", str, required=True)
    refuse_long_body(body, "IssueComment")
    comment = IssueComment(ctx.fake.next_id(), issue.repo, issue.number, body, ctx.actor)
    ctx.fake.comments[comment.id] = comment
    return Reply(
        201,
        ctx.render.comment(comment),
        headers={"Location": f"{ctx.fake.urls.repo_api(issue.repo)}/issues/comments/{comment.id}"},
        emits=[Emit("issue_comment", "created", issue.repo, ctx.actor, {"comment": comment})],
    )


def _comment(ctx: Ctx) -> IssueComment:
    repo = ctx.repo()
    comment = ctx.fake.comments.get(int(ctx.params["comment_id"]))
    if comment is None or comment.repo != repo.full_name:
        raise not_found()
    return comment


def get_comment(ctx: Ctx) -> Reply:
    return Reply(200, ctx.render.comment(_comment(ctx)))


def update_comment(ctx: Ctx) -> Reply:
    comment = _comment(ctx)
    body = ctx.field("body", str, required=True)
    refuse_long_body(body, "IssueComment")
    comment.body = body
    comment.updated_at = time.time()
    return Reply(200, ctx.render.comment(comment))


def create_reaction(ctx: Ctx) -> Reply:
    comment = _comment(ctx)
    content = ctx.field("content", str, required=True)
    if content not in REACTIONS:
        raise invalid(f"Invalid request.\n\nFor 'content', {content!r} is not a valid value.")
    for existing in comment.reactions:
        if existing.content == content and existing.user == ctx.actor:
            return Reply(200, shapes.reaction(ctx.fake.urls, existing, ctx.fake.user(ctx.actor)))
    reaction = Reaction(ctx.fake.next_id(), content, ctx.actor)
    comment.reactions.append(reaction)
    return Reply(201, shapes.reaction(ctx.fake.urls, reaction, ctx.fake.user(ctx.actor)))


def list_reactions(ctx: Ctx) -> Reply:
    comment = _comment(ctx)
    items = [shapes.reaction(ctx.fake.urls, r, ctx.fake.user(r.user)) for r in comment.reactions]
    return ctx.page(
        items, f"{ctx.fake.urls.repo_api(comment.repo)}/issues/comments/{comment.id}/reactions"
    )


def add_labels(ctx: Ctx) -> Reply:
    issue = _issue(ctx)
    names = ctx.body.get("labels") if isinstance(ctx.body, dict) else ctx.body
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) and n.strip() for n in names)
    ):
        raise invalid("Invalid request.\n\nFor 'labels', a non-empty array of names is required.")
    for name in names:
        ctx.fake.create_label(issue.repo, name)
        if name not in issue.labels:
            issue.labels.append(name)
    return Reply(200, ctx.render.labels(issue.repo, issue.labels))


def list_labels(ctx: Ctx) -> Reply:
    issue = _issue(ctx)
    return Reply(200, ctx.render.labels(issue.repo, issue.labels))
