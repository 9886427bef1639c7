"""Routing of what people write: issue comments, review comments and reviews."""

from __future__ import annotations

from typing import Any

from webhooks import intents as k
from webhooks.comment_parsing import Mention, SlashCommand, parse_comment
from webhooks.events import (
    Branch,
    Comment,
    Event,
    IssueCommentEvent,
    PullRequest,
    PullRequestReviewCommentEvent,
    PullRequestReviewEvent,
    ReviewComment,
)
from webhooks.intents import Intent, Routing
from webhooks.routing_inputs import RoutingContext, repo_name
from webhooks.sanitize import sanitize
from webhooks.task_payloads import (
    CommentTask,
    ReviewFixTask,
    base_payload,
    pinned_issue,
    wants_change,
)


def _full_name(branch: Branch) -> str | None:
    """The repository holding a pull request's branch (a fork's for a fork PR)."""
    return branch.repo.full_name if branch.repo is not None else None


def _comment_intent(
    event: Event,
    ctx: RoutingContext,
    *,
    event_name: str,
    number: int,
    is_pull_request: bool,
    comment: Comment,
    extra: dict[str, Any],
) -> Routing:
    body = sanitize(comment.body)
    parsed = parse_comment(body, slug=ctx.app_slug, commands=ctx.config.commands)
    if parsed is None:
        return Routing.ignore(f"no @{ctx.app_slug} mention or slash command")
    repo = repo_name(event)
    group = k.issue_group(repo, number, is_pull_request=is_pull_request)
    fields: dict[str, Any] = {
        **base_payload(event, ctx),
        "event": event_name,
        "author": comment.user.login,
        "author_type": comment.user.type,
        "author_association": comment.author_association,
        "number": number,
        "is_pull_request": is_pull_request,
        "comment": body,
        **extra,
    }
    where = f"{repo}{'!' if is_pull_request else '#'}{number}"
    if isinstance(parsed, SlashCommand):
        kind = k.COMMAND_KINDS[parsed.name]
        fields.update(command=parsed.name, args=parsed.args)
        if kind in (k.COMMAND_STOP, k.COMMAND_STATUS):
            fields["target_group"] = group
        payload = CommentTask(**fields).dump()
        return Routing(
            intents=(
                Intent(
                    kind=kind,
                    key=f"command-{parsed.name}",
                    title=f"/{parsed.name} on {where}",
                    payload=payload,
                    role=k.DEFAULT_ROLES[kind],
                    # /stop and /status act on the group; they must not be cancelled with it.
                    group_key=None if kind in (k.COMMAND_STOP, k.COMMAND_STATUS) else group,
                ),
            )
        )
    assert isinstance(parsed, Mention)
    payload = CommentTask(
        **fields,
        role=parsed.role,
        request=parsed.request,
        wants_change=wants_change(parsed.request, is_pull_request=is_pull_request),
    ).dump()
    return Routing(
        intents=(
            Intent(
                kind=k.MENTION_ANSWER,
                key="mention",
                title=f"Answer {comment.user.login} on {where}",
                payload=payload,
                role=parsed.role,
                group_key=group,
            ),
        )
    )


def issue_comment(event: IssueCommentEvent, ctx: RoutingContext) -> Routing:
    if event.action != "created":
        return Routing.ignore(f"issue_comment.{event.action} is not a trigger")
    return _comment_intent(
        event,
        ctx,
        event_name="issue_comment",
        number=event.issue.number,
        is_pull_request=event.issue.pull_request is not None,
        comment=event.comment,
        extra={
            "comment_id": event.comment.id,
            **pinned_issue(event.issue.title, event.issue.body),
        },
    )


def review_comment(event: PullRequestReviewCommentEvent, ctx: RoutingContext) -> Routing:
    if event.action != "created":
        return Routing.ignore(f"pull_request_review_comment.{event.action} is not a trigger")
    comment: ReviewComment = event.comment
    return _comment_intent(
        event,
        ctx,
        event_name="pull_request_review_comment",
        number=event.pull_request.number,
        is_pull_request=True,
        comment=comment,
        extra={
            "review_comment_id": comment.id,
            "path": comment.path,
            "line": comment.line,
            "head_sha": event.pull_request.head.sha,
            "head_ref": event.pull_request.head.ref,
            "head_repo": _full_name(event.pull_request.head),
            **pinned_issue(event.pull_request.title, event.pull_request.body),
        },
    )


def is_bot_pr(pr: PullRequest, ctx: RoutingContext) -> bool:
    return ctx.is_bot(pr.user.login) or pr.head.ref.startswith(ctx.branch_prefix)


def review(event: PullRequestReviewEvent, ctx: RoutingContext) -> Routing:
    if event.action != "submitted":
        return Routing.ignore(f"pull_request_review.{event.action} is not a trigger")
    review, pr = event.review, event.pull_request
    found: list[Intent] = []
    notes: list[str] = []
    as_comment = Comment(
        id=review.id,
        body=review.body,
        user=review.user,
        author_association=review.author_association,
    )
    mention = _comment_intent(
        event,
        ctx,
        event_name="pull_request_review",
        number=pr.number,
        is_pull_request=True,
        comment=as_comment,
        extra={
            "review_id": review.id,
            "head_sha": pr.head.sha,
            "head_ref": pr.head.ref,
            "head_repo": _full_name(pr.head),
            **pinned_issue(pr.title, pr.body),
        },
    )
    found.extend(mention.intents)
    if mention.ignored:
        notes.append(mention.ignored)
    if review.state.lower() == "changes_requested":
        if is_bot_pr(pr, ctx):
            repo = repo_name(event)
            found.append(
                Intent(
                    kind=k.PR_FIX,
                    key="fix",
                    title=f"Address review on {repo}!{pr.number}",
                    payload=ReviewFixTask(
                        **{
                            **base_payload(event, ctx),
                            "author": review.user.login,
                            "author_type": review.user.type,
                            "author_association": review.author_association,
                        },
                        event="pull_request_review",
                        number=pr.number,
                        review_id=review.id,
                        head_sha=pr.head.sha,
                        head_ref=pr.head.ref,
                        head_repo=_full_name(pr.head),
                        comment=sanitize(review.body),
                    ).dump(),
                    role=k.DEFAULT_ROLES[k.PR_FIX],
                    group_key=k.issue_group(repo, pr.number, is_pull_request=True),
                )
            )
        else:
            notes.append("changes requested on a pull request the bot did not open")
    else:
        notes.append(f"review state {review.state!r} needs no fix")
    if not found:
        return Routing.ignore("; ".join(notes))
    return Routing(intents=tuple(found), notes=tuple(notes))
