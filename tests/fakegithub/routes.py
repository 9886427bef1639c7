"""REST handlers of the fake, following GitHub's documented behaviour for each endpoint."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from tests.fakegithub import shapes
from tests.fakegithub.api import (
    GRAPHQL_MUTATION,
    ApiError,
    Ctx,
    Emit,
    Handler,
    Reply,
    endpoint,
    invalid,
    not_found,
)
from tests.fakegithub.state import (
    REACTIONS,
    CheckRun,
    Issue,
    IssueComment,
    Pull,
    Reaction,
    Review,
    ReviewComment,
    iso,
)

if TYPE_CHECKING:
    from tests.fakegithub.fake import FakeGitHub

ROLE_TO_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}
REVIEW_STATES = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}
CHECK_STATUSES = ("queued", "in_progress", "completed")
CHECK_CONCLUSIONS = (
    "success",
    "failure",
    "neutral",
    "cancelled",
    "skipped",
    "timed_out",
    "action_required",
)
LEVELS = ("notice", "warning", "failure")


# app


def get_app(ctx: Ctx) -> Reply:
    app = ctx.fake.app
    return Reply(200, shapes.app_json(ctx.fake.urls, app, ctx.fake.user(app.owner)))


def list_installations(ctx: Ctx) -> Reply:
    f = ctx.fake
    items = [
        shapes.installation(f.urls, i, f.app, f.user(i.account)) for i in f.installations.values()
    ]
    return ctx.page(items, f"{f.urls.api}/app/installations")


def get_installation(ctx: Ctx) -> Reply:
    f = ctx.fake
    inst = f.installations.get(int(ctx.params["installation_id"]))
    if inst is None:
        raise not_found()
    return Reply(200, shapes.installation(f.urls, inst, f.app, f.user(inst.account)))


def create_access_token(ctx: Ctx) -> Reply:
    f = ctx.fake
    installation_id = int(ctx.params["installation_id"])
    if installation_id not in f.installations:
        raise not_found()
    token = f.issue_installation_token(installation_id)
    grant = f.tokens[token]
    return Reply(
        201,
        {
            "token": token,
            "expires_at": iso(grant.expires_at),
            "permissions": {
                "contents": "write",
                "issues": "write",
                "pull_requests": "write",
                "checks": "write",
                "metadata": "read",
            },
            "repository_selection": "selected",
        },
    )


def repo_installation(ctx: Ctx) -> Reply:
    f = ctx.fake
    full_name = f"{ctx.params['owner']}/{ctx.params['repo']}"
    inst = next((i for i in f.installations.values() if full_name in i.repos), None)
    if inst is None or full_name not in f.repos:
        raise not_found()
    return Reply(200, shapes.installation(f.urls, inst, f.app, f.user(inst.account)))


def rate_limit(ctx: Ctx) -> Reply:
    f = ctx.fake
    return Reply(200, shapes.rate_limit(f.rate_limit, f.rate_remaining, f.rate_reset))


# repository, contents, refs, permissions


def get_repo(ctx: Ctx) -> Reply:
    return Reply(200, ctx.render.repo(ctx.repo()))


def collaborator_permission(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    login = ctx.params["username"]
    if login not in ctx.fake.users:
        raise not_found()
    role = repo.collaborators.get(login)
    if role is None and repo.owner == login:
        role = "admin"
    permission = ROLE_TO_PERMISSION[role] if role else ("none" if repo.private else "read")
    body = {
        "permission": permission,
        "role_name": role or permission,
        "user": {
            **shapes.user(ctx.fake.urls, ctx.fake.user(login)),
            "permissions": {
                "admin": permission == "admin",
                "maintain": role in ("admin", "maintain"),
                "push": permission in ("admin", "write"),
                "triage": permission != "none",
                "pull": permission != "none",
            },
            "role_name": role or permission,
        },
    }
    return Reply(200, body)


def get_contents(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    path = ctx.params.get("path", "").strip("/")
    ref = ctx.query.get("ref") or repo.default_branch
    if ctx.fake.head_sha(repo.full_name, ref) is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    found = ctx.fake.read_blob(repo.full_name, ref, path) if path else None
    if found is not None:
        blob, sha = found
        return Reply(200, shapes.content_file(ctx.fake.urls, repo.full_name, path, ref, blob, sha))
    try:
        listing = ctx.fake.git(repo.path, "ls-tree", f"{ref}:{path}" if path else ref)
    except RuntimeError as exc:
        raise not_found() from exc
    items = []
    for line in listing.splitlines():
        meta, name = line.split("\t", 1)
        _, kind, sha = meta.split()
        full = f"{path}/{name}" if path else name
        api = f"{ctx.fake.urls.repo_api(repo.full_name)}/contents/{full}?ref={ref}"
        html = f"{ctx.fake.urls.web}/{repo.full_name}/{kind}/{ref}/{full}"
        git = f"{ctx.fake.urls.repo_api(repo.full_name)}/git/{kind}s/{sha}"
        items.append(
            {
                "type": "file" if kind == "blob" else "dir",
                "name": name,
                "path": full,
                "sha": sha,
                "size": 0,
                "url": api,
                "html_url": html,
                "git_url": git,
                "download_url": None,
                "_links": {"self": api, "git": git, "html": html},
            }
        )
    return Reply(200, items)


def get_ref(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    ref = "refs/" + ctx.params["ref"]
    if not ref.startswith(("refs/heads/", "refs/tags/")):
        raise not_found()
    sha = ctx.fake.head_sha(repo.full_name, ref)
    if sha is None:
        raise not_found()
    return Reply(200, shapes.git_ref(ctx.fake.urls, repo.full_name, ref, sha))


def create_ref(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    ref = ctx.field("ref", str, required=True)
    sha = ctx.field("sha", str, required=True)
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise invalid("Reference name is invalid")
    if ctx.fake.head_sha(repo.full_name, ref) is not None:
        raise invalid("Reference already exists")
    if ctx.fake.head_sha(repo.full_name, sha) is None:
        raise invalid("Object does not exist")
    ctx.fake.git(repo.path, "update-ref", ref, sha)
    return Reply(201, shapes.git_ref(ctx.fake.urls, repo.full_name, ref, sha))


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
    comment.body = ctx.field("body", str, required=True)
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


def _file_lines(ctx: Ctx, repo: str, sha: str, path: str) -> int | None:
    found = ctx.fake.read_blob(repo, sha, path)
    return None if found is None else len(found[0].decode(errors="replace").splitlines())


def create_review(ctx: Ctx) -> Reply:
    pr = _pull(ctx)
    issue = ctx.fake.issues[(pr.repo, pr.number)]
    head_sha = ctx.fake.head_sha(pr.repo, pr.head) or ""
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
    made: list[ReviewComment] = []
    for raw in raw_comments:
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("path"), str)
            or not isinstance(raw.get("body"), str)
            or not isinstance(raw.get("line"), int)
        ):
            raise invalid("Invalid request.\n\nEach comment needs path, body and line.")
        side = raw.get("side", "RIGHT")
        if side not in ("LEFT", "RIGHT"):
            raise invalid(f"Invalid request.\n\nFor 'side', {side!r} is not a valid value.")
        lines = _file_lines(ctx, pr.repo, commit_id, raw["path"])
        if lines is None:
            raise ApiError(422, "Unprocessable Entity", errors=["Path could not be resolved"])
        if not 1 <= raw["line"] <= lines:
            raise ApiError(422, "Unprocessable Entity", errors=["Line could not be resolved"])
        made.append(
            ReviewComment(
                ctx.fake.next_id(),
                pr.repo,
                pr.number,
                review.id,
                raw["path"],
                raw["line"],
                side,
                raw["body"],
                commit_id,
                ctx.actor,
            )
        )
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


# check runs


def _check_fields(ctx: Ctx, run: CheckRun) -> None:
    status = ctx.field("status", str)
    conclusion = ctx.field("conclusion", str)
    if status is not None and status not in CHECK_STATUSES:
        raise invalid(f"Invalid request.\n\nFor 'status', {status!r} is not a valid value.")
    if conclusion is not None and conclusion not in CHECK_CONCLUSIONS:
        raise invalid(f"Invalid request.\n\nFor 'conclusion', {conclusion!r} is not a valid value.")
    if conclusion is not None:
        status = "completed"  # documented: a conclusion completes the run
    if status == "completed" and conclusion is None and run.conclusion is None:
        raise invalid('Invalid request.\n\n"conclusion" wasn\'t supplied.')
    if status is not None:
        run.status = status
    if conclusion is not None:
        run.conclusion = conclusion
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = time.time()
    output = ctx.field("output", dict)
    if output is not None:
        if not isinstance(output.get("title"), str) or not isinstance(output.get("summary"), str):
            raise invalid('Invalid request.\n\n"title" and "summary" are required in output.')
        annotations = output.get("annotations") or []
        if not isinstance(annotations, list) or len(annotations) > 50:
            raise invalid("Invalid request.\n\nAt most 50 annotations per request.")
        for a in annotations:
            if (
                not isinstance(a, dict)
                or not all(isinstance(a.get(k), str) for k in ("path", "message"))
                or not all(isinstance(a.get(k), int) for k in ("start_line", "end_line"))
                or a.get("annotation_level") not in LEVELS
            ):
                raise invalid(
                    "Invalid request.\n\nAnnotations need path, start_line, end_line, "
                    "annotation_level (notice|warning|failure) and message."
                )
        run.output = {k: output.get(k) for k in ("title", "summary", "text")}
        run.annotations.extend(annotations)  # documented: annotations accumulate


def create_check_run(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    name = ctx.field("name", str, required=True)
    head_sha = ctx.field("head_sha", str, required=True)
    if ctx.fake.head_sha(repo.full_name, head_sha) is None:
        raise invalid("No commit found for SHA: " + head_sha)
    app_id = ctx.fake.app.id if ctx.grant and ctx.grant.installation_id else None
    run = CheckRun(
        ctx.fake.next_id(),
        repo.full_name,
        name,
        head_sha,
        "queued",
        None,
        app_id,
        external_id=ctx.field("external_id", str),
        details_url=ctx.field("details_url", str),
    )
    _check_fields(ctx, run)
    ctx.fake.check_runs[run.id] = run
    return Reply(
        201,
        ctx.render.check_run(run),
        emits=[Emit("check_run", "created", repo.full_name, ctx.actor, {"check_run": run})],
    )


def _check_run(ctx: Ctx) -> CheckRun:
    repo = ctx.repo()
    run: CheckRun | None = ctx.fake.check_runs.get(int(ctx.params["check_run_id"]))
    if run is None or run.repo != repo.full_name:
        raise not_found()
    return run


def get_check_run(ctx: Ctx) -> Reply:
    return Reply(200, ctx.render.check_run(_check_run(ctx)))


def update_check_run(ctx: Ctx) -> Reply:
    run = _check_run(ctx)
    was_completed = run.status == "completed"
    _check_fields(ctx, run)
    emits = []
    if run.status == "completed" and not was_completed:
        emits.append(Emit("check_run", "completed", run.repo, ctx.actor, {"check_run": run}))
    return Reply(200, ctx.render.check_run(run), emits=emits)


def list_annotations(ctx: Ctx) -> Reply:
    run = _check_run(ctx)
    items = [shapes.annotation(ctx.fake.urls, run, a) for a in run.annotations]
    return ctx.page(items, f"{ctx.fake.urls.repo_api(run.repo)}/check-runs/{run.id}/annotations")


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


def routes(fake: FakeGitHub) -> list[Route]:
    table: list[tuple[str, str, Handler, str]] = [
        ("/rate_limit", "GET", rate_limit, "token"),
        ("/app", "GET", get_app, "jwt"),
        ("/app/installations", "GET", list_installations, "jwt"),
        ("/app/installations/{installation_id:int}", "GET", get_installation, "jwt"),
        (
            "/app/installations/{installation_id:int}/access_tokens",
            "POST",
            create_access_token,
            "jwt",
        ),
        ("/repos/{owner}/{repo}/installation", "GET", repo_installation, "jwt"),
        ("/repos/{owner}/{repo}", "GET", get_repo, "token"),
        (
            "/repos/{owner}/{repo}/collaborators/{username}/permission",
            "GET",
            collaborator_permission,
            "token",
        ),
        ("/repos/{owner}/{repo}/contents/", "GET", get_contents, "token"),
        ("/repos/{owner}/{repo}/contents/{path:path}", "GET", get_contents, "token"),
        ("/repos/{owner}/{repo}/git/ref/{ref:path}", "GET", get_ref, "token"),
        ("/repos/{owner}/{repo}/git/refs", "POST", create_ref, "token"),
        ("/repos/{owner}/{repo}/issues/comments/{comment_id:int}", "GET", get_comment, "token"),
        (
            "/repos/{owner}/{repo}/issues/comments/{comment_id:int}",
            "PATCH",
            update_comment,
            "token",
        ),
        (
            "/repos/{owner}/{repo}/issues/comments/{comment_id:int}/reactions",
            "POST",
            create_reaction,
            "token",
        ),
        (
            "/repos/{owner}/{repo}/issues/comments/{comment_id:int}/reactions",
            "GET",
            list_reactions,
            "token",
        ),
        ("/repos/{owner}/{repo}/issues/{number:int}", "GET", get_issue, "token"),
        ("/repos/{owner}/{repo}/issues/{number:int}", "PATCH", update_issue, "token"),
        ("/repos/{owner}/{repo}/issues/{number:int}/comments", "GET", list_comments, "token"),
        ("/repos/{owner}/{repo}/issues/{number:int}/comments", "POST", create_comment, "token"),
        ("/repos/{owner}/{repo}/issues/{number:int}/labels", "POST", add_labels, "token"),
        ("/repos/{owner}/{repo}/issues/{number:int}/labels", "GET", list_labels, "token"),
        ("/repos/{owner}/{repo}/pulls", "GET", list_pulls, "token"),
        ("/repos/{owner}/{repo}/pulls", "POST", create_pull, "token"),
        ("/repos/{owner}/{repo}/pulls/{number:int}", "GET", get_pull, "token"),
        ("/repos/{owner}/{repo}/pulls/{number:int}", "PATCH", update_pull, "token"),
        ("/repos/{owner}/{repo}/pulls/{number:int}/reviews", "POST", create_review, "token"),
        ("/repos/{owner}/{repo}/pulls/{number:int}/reviews", "GET", list_reviews, "token"),
        ("/repos/{owner}/{repo}/pulls/{number:int}/comments", "GET", list_review_comments, "token"),
        (
            "/repos/{owner}/{repo}/pulls/{number:int}/comments/{comment_id:int}/replies",
            "POST",
            reply_review_comment,
            "token",
        ),
        ("/repos/{owner}/{repo}/check-runs", "POST", create_check_run, "token"),
        ("/repos/{owner}/{repo}/check-runs/{check_run_id:int}", "GET", get_check_run, "token"),
        ("/repos/{owner}/{repo}/check-runs/{check_run_id:int}", "PATCH", update_check_run, "token"),
        (
            "/repos/{owner}/{repo}/check-runs/{check_run_id:int}/annotations",
            "GET",
            list_annotations,
            "token",
        ),
    ]
    out = [
        Route(path, endpoint(fake, handler, auth), methods=[method])
        for path, method, handler, auth in table
    ]
    return out


def graphql_route(fake: FakeGitHub) -> Route:
    return Route("/api/graphql", endpoint(fake, graphql, "token"), methods=["POST"])
