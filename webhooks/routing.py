"""Routing: a pure function from a typed event to the intents it triggers (the trigger table
in the architecture). No I/O here; the caller passes the repository's config."""

from __future__ import annotations

from typing import Any

from webhooks import intents as k
from webhooks.events import (
    CheckRunEvent,
    Event,
    InstallationEvent,
    InstallationRepositoriesEvent,
    IssueCommentEvent,
    IssuesEvent,
    PullRequestEvent,
    PullRequestReviewCommentEvent,
    PullRequestReviewEvent,
    PushEvent,
)
from webhooks.intents import InstallationChange, Intent, RepoChange, Routing
from webhooks.route_comments import issue_comment, review, review_comment
from webhooks.routing_inputs import RoutingContext, repo_name
from webhooks.task_payloads import (
    CheckFixTask,
    IssueTriage,
    PullRequestTask,
    RepoIndexTask,
    base_payload,
    pinned_issue,
)

__all__ = ["RoutingContext", "route"]

PR_TRIGGER_ACTIONS = ("opened", "synchronize", "reopened", "ready_for_review")
FAILED_CONCLUSIONS = ("failure", "timed_out")
# GitHub lists at most 20 commits in a push payload; beyond that the list is incomplete.
PUSH_COMMITS_LISTED = 20


def route(name: str, event: Event, ctx: RoutingContext) -> Routing:
    """The intents for one delivery, or the reason it starts nothing."""
    if event.sender is not None and ctx.is_bot(event.sender.login):
        return Routing.ignore(f"sent by the bot's own user {event.sender.login}")
    if isinstance(event, IssuesEvent):
        return _issues(event, ctx)
    if isinstance(event, IssueCommentEvent):
        return issue_comment(event, ctx)
    if isinstance(event, PullRequestEvent):
        return _pull_request(event, ctx)
    if isinstance(event, PullRequestReviewEvent):
        return review(event, ctx)
    if isinstance(event, PullRequestReviewCommentEvent):
        return review_comment(event, ctx)
    if isinstance(event, CheckRunEvent):
        return _check_run(event, ctx)
    if isinstance(event, PushEvent):
        return _push(event, ctx)
    if isinstance(event, InstallationEvent):
        return _installation(event)
    if isinstance(event, InstallationRepositoriesEvent):
        return _installation_repositories(event)
    return Routing.ignore(f"event {name!r} is not handled")


def _issues(event: IssuesEvent, ctx: RoutingContext) -> Routing:
    label = ctx.config.trigger_label
    issue = event.issue
    action = event.action
    labels = [lbl.name for lbl in issue.labels]
    if action == "opened":
        if label not in labels and not (labels and not ctx.config_known):
            return Routing.ignore(f"issue opened without the trigger label {label!r}")
    elif action == "labeled":
        if event.label is None or (event.label.name != label and ctx.config_known):
            return Routing.ignore(f"label is not the trigger label {label!r}")
    elif action == "assigned":
        if event.assignee is None or not ctx.is_bot(event.assignee.login):
            return Routing.ignore("issue assigned to someone other than the bot")
    else:
        return Routing.ignore(f"issues.{action} is not a trigger")
    repo = repo_name(event)
    payload = IssueTriage(
        **{**base_payload(event, ctx), "author_association": issue.author_association},
        event="issues",
        number=issue.number,
        # The worker checks these against the repository's config (`webhooks.config_gate`).
        labels=labels,
        label=event.label.name if event.label is not None else None,
        **pinned_issue(issue.title, issue.body),
    ).dump()
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
    repo = repo_name(event)
    group = k.issue_group(repo, pr.number, is_pull_request=True)
    payload = PullRequestTask(
        **{
            **base_payload(event, ctx),
            "author": pr.user.login,
            "author_type": pr.user.type,
            "author_association": pr.author_association,
        },
        event="pull_request",
        pusher=event.sender.login if event.sender else None,
        number=pr.number,
        head_sha=pr.head.sha,
        head_ref=pr.head.ref,
        head_repo=pr.head.repo.full_name if pr.head.repo else None,
        base_ref=pr.base.ref,
        draft=pr.draft,
        **pinned_issue(pr.title, pr.body),
    ).dump()
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
    repo = repo_name(event)
    numbers = [pr.number for pr in run.pull_requests]
    return Routing(
        intents=(
            Intent(
                kind=k.CHECK_FIX,
                key="check-fix",
                title=f"Fix failing check {run.name!r} on {repo}!{numbers[0]}",
                payload=CheckFixTask(
                    **base_payload(event, ctx),
                    event="check_run",
                    number=numbers[0],
                    numbers=numbers,
                    check_run_id=run.id,
                    check_name=run.name,
                    head_sha=run.head_sha,
                    head_ref=head_ref,
                    details_url=run.html_url,
                ).dump(),
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
    for commit in event.commits:  # oldest first: a later commit's change wins
        for path in (*commit.added, *commit.modified):
            changed.add(path)
            removed.discard(path)
        for path in commit.removed:
            removed.add(path)
            changed.discard(path)
    # The lists say what changed only when they are complete: GitHub lists at most 20
    # commits, and a force push or a new branch has no listed history to diff against.
    full = (
        len(event.commits) >= PUSH_COMMITS_LISTED
        or event.forced
        or not event.before.strip("0")
        or not event.commits
    )
    repo = repo_name(event)
    return Routing(
        intents=(
            Intent(
                kind=k.REPO_INDEX,
                key="index",
                title=f"Re-index {repo} at {event.after[:7]}",
                payload=RepoIndexTask(
                    **base_payload(event, ctx),
                    event="push",
                    full=full,
                    before=event.before,
                    after=event.after,
                    changed=sorted(changed),
                    removed=sorted(removed),
                ).dump(),
                group_key=f"{repo}:index",
            ),
        )
    )


def _index_intent(event: Event, repo: str) -> Intent:
    return Intent(
        kind=k.REPO_INDEX,
        key=f"index-{repo}",
        title=f"Index {repo}",
        payload=RepoIndexTask(
            repo=repo,
            installation_id=event.installation.id if event.installation else None,
            action=event.action,
            author=event.sender.login if event.sender else None,
            author_type=event.sender.type if event.sender else None,
            event="installation",
            full=True,
        ).dump(),
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
