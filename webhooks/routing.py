"""Routing: a pure function from a typed event to the intents it triggers (the trigger table
in the architecture). No I/O here; the caller passes the repository's config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webhooks import intents as k
from webhooks.commands import Mention, SlashCommand, parse_comment
from webhooks.events import (
    CheckRunEvent,
    Comment,
    Event,
    InstallationEvent,
    InstallationRepositoriesEvent,
    IssueCommentEvent,
    IssuesEvent,
    PullRequest,
    PullRequestEvent,
    PullRequestReviewCommentEvent,
    PullRequestReviewEvent,
    PushEvent,
    ReviewComment,
)
from webhooks.intents import InstallationChange, Intent, RepoChange, Routing
from webhooks.repo_config import RepoConfig
from webhooks.sanitize import sanitize

PR_TRIGGER_ACTIONS = ("opened", "synchronize", "reopened", "ready_for_review")
FAILED_CONCLUSIONS = ("failure", "timed_out")
# GitHub lists at most 20 commits in a push payload; beyond that the list is incomplete.
PUSH_COMMITS_LISTED = 20


@dataclass(frozen=True)
class RoutingContext:
    delivery_id: str
    app_slug: str
    config: RepoConfig
    branch_prefix: str = "codemonkey/"
    # Logins whose events are the bot's own (the App's `<slug>[bot]`; in Action mode also
    # `github-actions[bot]`).
    extra_bot_logins: frozenset[str] = frozenset()

    @property
    def bot_logins(self) -> frozenset[str]:
        return frozenset({f"{self.app_slug}[bot]".lower(), *self.extra_bot_logins})

    def is_bot(self, login: str) -> bool:
        return login.lower() in self.bot_logins


def route(name: str, event: Event, ctx: RoutingContext) -> Routing:
    """The intents for one delivery, or the reason it starts nothing."""
    if event.sender is not None and ctx.is_bot(event.sender.login):
        return Routing.ignore(f"sent by the bot's own user {event.sender.login}")
    if isinstance(event, IssuesEvent):
        return _issues(event, ctx)
    if isinstance(event, IssueCommentEvent):
        return _issue_comment(event, ctx)
    if isinstance(event, PullRequestEvent):
        return _pull_request(event, ctx)
    if isinstance(event, PullRequestReviewEvent):
        return _review(event, ctx)
    if isinstance(event, PullRequestReviewCommentEvent):
        return _review_comment(event, ctx)
    if isinstance(event, CheckRunEvent):
        return _check_run(event, ctx)
    if isinstance(event, PushEvent):
        return _push(event, ctx)
    if isinstance(event, InstallationEvent):
        return _installation(event)
    if isinstance(event, InstallationRepositoriesEvent):
        return _installation_repositories(event)
    return Routing.ignore(f"event {name!r} is not handled")


def _base(event: Event, ctx: RoutingContext) -> dict[str, Any]:
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


def _repo(event: Event) -> str:
    assert event.repository is not None, "routed events carry a repository"
    return event.repository.full_name


def _issues(event: IssuesEvent, ctx: RoutingContext) -> Routing:
    label = ctx.config.trigger_label
    issue = event.issue
    action = event.action
    if action == "opened":
        if not any(lbl.name == label for lbl in issue.labels):
            return Routing.ignore(f"issue opened without the trigger label {label!r}")
    elif action == "labeled":
        if event.label is None or event.label.name != label:
            return Routing.ignore(f"label is not the trigger label {label!r}")
    elif action == "assigned":
        if event.assignee is None or not ctx.is_bot(event.assignee.login):
            return Routing.ignore("issue assigned to someone other than the bot")
    else:
        return Routing.ignore(f"issues.{action} is not a trigger")
    repo = _repo(event)
    payload = {
        **_base(event, ctx),
        "event": "issues",
        "author_association": issue.author_association,
        "number": issue.number,
        "title": sanitize(issue.title, max_chars=512),
        "text": sanitize(issue.body),
    }
    return Routing(
        intents=(
            Intent(
                kind=k.ISSUE_TRIAGE,
                key="triage",
                title=f"Triage {repo}#{issue.number}",
                payload=payload,
                role=k.DEFAULT_ROLES[k.ISSUE_TRIAGE],
                group_key=k.issue_group(repo, issue.number),
            ),
        )
    )


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
    repo = _repo(event)
    group = k.issue_group(repo, number, is_pull_request=is_pull_request)
    payload: dict[str, Any] = {
        **_base(event, ctx),
        "event": event_name,
        "author": comment.user.login,
        "author_type": comment.user.type,
        "author_association": comment.author_association,
        "number": number,
        "is_pull_request": is_pull_request,
        "text": body,
        **extra,
    }
    where = f"{repo}{'!' if is_pull_request else '#'}{number}"
    if isinstance(parsed, SlashCommand):
        kind = k.COMMAND_KINDS[parsed.name]
        payload.update(command=parsed.name, args=parsed.args)
        if kind in (k.COMMAND_STOP, k.COMMAND_STATUS):
            payload["target_group"] = group
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
    payload.update(role=parsed.role, request=parsed.request)
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


def _issue_comment(event: IssueCommentEvent, ctx: RoutingContext) -> Routing:
    if event.action != "created":
        return Routing.ignore(f"issue_comment.{event.action} is not a trigger")
    return _comment_intent(
        event,
        ctx,
        event_name="issue_comment",
        number=event.issue.number,
        is_pull_request=event.issue.pull_request is not None,
        comment=event.comment,
        extra={"comment_id": event.comment.id},
    )


def _review_comment(event: PullRequestReviewCommentEvent, ctx: RoutingContext) -> Routing:
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
        },
    )


def _is_bot_pr(pr: PullRequest, ctx: RoutingContext) -> bool:
    return ctx.is_bot(pr.user.login) or pr.head.ref.startswith(ctx.branch_prefix)


def _review(event: PullRequestReviewEvent, ctx: RoutingContext) -> Routing:
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
        extra={"review_id": review.id, "head_sha": pr.head.sha, "head_ref": pr.head.ref},
    )
    found.extend(mention.intents)
    if mention.ignored:
        notes.append(mention.ignored)
    if review.state.lower() == "changes_requested":
        if _is_bot_pr(pr, ctx):
            repo = _repo(event)
            found.append(
                Intent(
                    kind=k.PR_FIX,
                    key="fix",
                    title=f"Address review on {repo}!{pr.number}",
                    payload={
                        **_base(event, ctx),
                        "event": "pull_request_review",
                        "author": review.user.login,
                        "author_type": review.user.type,
                        "author_association": review.author_association,
                        "number": pr.number,
                        "review_id": review.id,
                        "head_sha": pr.head.sha,
                        "head_ref": pr.head.ref,
                        "text": sanitize(review.body),
                    },
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


def _pull_request(event: PullRequestEvent, ctx: RoutingContext) -> Routing:
    pr = event.pull_request
    if event.action not in PR_TRIGGER_ACTIONS:
        return Routing.ignore(f"pull_request.{event.action} is not a trigger")
    if pr.state != "open":
        return Routing.ignore("pull request is not open")
    if pr.draft:
        return Routing.ignore("pull request is a draft (reviewed once marked ready)")
    config = ctx.config
    if not config.auto_review and not config.auto_qa:
        return Routing.ignore("auto_review and auto_qa are off for this repository")
    repo = _repo(event)
    group = k.issue_group(repo, pr.number, is_pull_request=True)
    payload = {
        **_base(event, ctx),
        "event": "pull_request",
        "author": pr.user.login,
        "author_type": pr.user.type,
        "author_association": pr.author_association,
        "pusher": event.sender.login if event.sender else None,
        "number": pr.number,
        "title": sanitize(pr.title, max_chars=512),
        "text": sanitize(pr.body),
        "head_sha": pr.head.sha,
        "head_ref": pr.head.ref,
        "head_repo": pr.head.repo.full_name if pr.head.repo else None,
        "base_ref": pr.base.ref,
        "draft": pr.draft,
    }
    supersedes = k.SUPERSEDED_BY_PUSH if event.action == "synchronize" else ()
    found = []
    for kind, enabled, key in (
        (k.PR_REVIEW, config.auto_review, "review"),
        (k.PR_QA, config.auto_qa, "qa"),
    ):
        if enabled:
            found.append(
                Intent(
                    kind=kind,
                    key=key,
                    title=f"{key.capitalize()} {repo}!{pr.number} at {pr.head.sha[:7]}",
                    payload=payload,
                    role=k.DEFAULT_ROLES[kind],
                    group_key=group,
                    supersedes=supersedes,
                )
            )
    return Routing(intents=tuple(found))


def _check_run(event: CheckRunEvent, ctx: RoutingContext) -> Routing:
    run = event.check_run
    if event.action != "completed":
        return Routing.ignore(f"check_run.{event.action} is not a trigger")
    if run.conclusion not in FAILED_CONCLUSIONS:
        return Routing.ignore(f"check run concluded {run.conclusion!r}, not a failure")
    if run.app is not None and run.app.slug == ctx.app_slug:
        return Routing.ignore("the bot's own check run (its QA task reports the failure)")
    head_ref = run.check_suite.head_branch if run.check_suite else None
    refs = [head_ref] + [pr.head.ref for pr in run.pull_requests if pr.head]
    if not any(ref and ref.startswith(ctx.branch_prefix) for ref in refs):
        return Routing.ignore(f"check run is not on a bot branch ({ctx.branch_prefix}*)")
    if not run.pull_requests:
        return Routing.ignore("failed check run has no pull request to fix")
    repo = _repo(event)
    numbers = [pr.number for pr in run.pull_requests]
    return Routing(
        intents=(
            Intent(
                kind=k.CHECK_FIX,
                key="check-fix",
                title=f"Fix failing check {run.name!r} on {repo}!{numbers[0]}",
                payload={
                    **_base(event, ctx),
                    "event": "check_run",
                    "number": numbers[0],
                    "numbers": numbers,
                    "check_run_id": run.id,
                    "check_name": run.name,
                    "head_sha": run.head_sha,
                    "head_ref": head_ref,
                    "details_url": run.html_url,
                },
                role=k.DEFAULT_ROLES[k.CHECK_FIX],
                group_key=k.issue_group(repo, numbers[0], is_pull_request=True),
            ),
        )
    )


def _push(event: PushEvent, ctx: RoutingContext) -> Routing:
    assert event.repository is not None
    default = event.repository.default_branch
    if event.ref != f"refs/heads/{default}":
        return Routing.ignore(f"push to {event.ref}, not the default branch {default}")
    if event.deleted:
        return Routing.ignore("default branch deleted")
    changed: set[str] = set()
    removed: set[str] = set()
    for commit in event.commits:
        changed.update(commit.added, commit.modified)
        removed.update(commit.removed)
    full = len(event.commits) >= PUSH_COMMITS_LISTED or not event.before.strip("0")
    repo = _repo(event)
    return Routing(
        intents=(
            Intent(
                kind=k.REPO_INDEX,
                key="index",
                title=f"Re-index {repo} at {event.after[:7]}",
                payload={
                    **_base(event, ctx),
                    "event": "push",
                    "full": full,
                    "before": event.before,
                    "after": event.after,
                    "changed": sorted(changed - removed),
                    "removed": sorted(removed - changed),
                },
                group_key=f"{repo}:index",
            ),
        )
    )


def _index_intent(event: Event, repo: str) -> Intent:
    return Intent(
        kind=k.REPO_INDEX,
        key=f"index-{repo}",
        title=f"Index {repo}",
        payload={
            "repo": repo,
            "installation_id": event.installation.id if event.installation else None,
            "action": event.action,
            "author": event.sender.login if event.sender else None,
            "author_type": event.sender.type if event.sender else None,
            "author_association": "NONE",
            "event": "installation",
            "full": True,
        },
        group_key=f"{repo}:index",
    )


def _change(
    event: InstallationEvent | InstallationRepositoriesEvent, **kwargs: Any
) -> InstallationChange:
    account = event.installation.account
    return InstallationChange(
        installation_id=event.installation.id,
        account_login=account.login if account else "",
        account_type=account.type if account else "User",
        **kwargs,
    )


def _installation(event: InstallationEvent) -> Routing:
    repos = [r.full_name for r in event.repositories or []]
    if event.action == "created":
        return Routing(
            intents=tuple(_index_intent(event, repo) for repo in repos),
            installation=_change(
                event, suspended=False, repos=tuple(RepoChange(r, True) for r in repos)
            ),
        )
    if event.action == "deleted":
        return Routing(installation=_change(event, deleted=True))
    if event.action in ("suspend", "unsuspend"):
        return Routing(installation=_change(event, suspended=event.action == "suspend"))
    return Routing.ignore(f"installation.{event.action} needs no action")


def _installation_repositories(event: InstallationRepositoriesEvent) -> Routing:
    added = [r.full_name for r in event.repositories_added]
    removed = [r.full_name for r in event.repositories_removed]
    changes = tuple(RepoChange(r, True) for r in added) + tuple(
        RepoChange(r, False) for r in removed
    )
    if not changes:
        return Routing.ignore("no repositories added or removed")
    return Routing(
        intents=tuple(_index_intent(event, repo) for repo in added),
        installation=_change(event, repos=changes),
    )
