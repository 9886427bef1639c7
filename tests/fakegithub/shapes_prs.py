"""Response bodies for pull requests, reviews, review comments and check runs."""

from __future__ import annotations

from tests.fakegithub.shapes import JSON, Urls, node_id, user
from tests.fakegithub.state import CheckRun, Issue, Pull, Repo, Review, ReviewComment, User, iso


def _branch(u: Urls, repo_json: JSON, owner: User, ref: str, sha: str) -> JSON:
    return {
        "label": f"{owner.login}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(u, owner),
        "repo": repo_json,
    }


def pull_request(
    u: Urls,
    pr: Pull,
    item: Issue,
    *,
    author: User,
    owner: User,
    repo_json: JSON,
    head_owner: User,
    head_repo_json: JSON,
    head_sha: str,
    base_sha: str,
    labels: list[JSON],
    comments: int,
    review_comments: int,
) -> JSON:
    api = u.repo_api(pr.repo)
    web = f"{u.web}/{pr.repo}/pull/{pr.number}"
    return {
        "url": f"{api}/pulls/{pr.number}",
        "id": pr.id,
        "node_id": pr.node_id,
        "html_url": web,
        "diff_url": f"{web}.diff",
        "patch_url": f"{web}.patch",
        "issue_url": f"{api}/issues/{pr.number}",
        "commits_url": f"{api}/pulls/{pr.number}/commits",
        "review_comments_url": f"{api}/pulls/{pr.number}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{pr.number}/comments",
        "statuses_url": f"{api}/statuses/{head_sha}",
        "number": pr.number,
        "state": item.state,
        "locked": False,
        "title": item.title,
        "user": user(u, author),
        "body": item.body,
        "labels": labels,
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _branch(u, head_repo_json, head_owner, pr.head, head_sha),
        "base": _branch(u, repo_json, owner, pr.base, base_sha),
        "_links": {
            "self": {"href": f"{api}/pulls/{pr.number}"},
            "html": {"href": web},
            "issue": {"href": f"{api}/issues/{pr.number}"},
            "comments": {"href": f"{api}/issues/{pr.number}/comments"},
            "review_comments": {"href": f"{api}/pulls/{pr.number}/comments"},
            "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
            "commits": {"href": f"{api}/pulls/{pr.number}/commits"},
            "statuses": {"href": f"{api}/statuses/{head_sha}"},
        },
        "author_association": "NONE",
        "auto_merge": None,
        "draft": pr.draft,
        "merged": pr.merged,
        "mergeable": True,
        "rebaseable": True,
        "mergeable_state": "draft" if pr.draft else "clean",
        "merged_by": None,
        "comments": comments,
        "review_comments": review_comments,
        "maintainer_can_modify": pr.maintainer_can_modify,
        "commits": 1,
        "additions": 0,
        "deletions": 0,
        "changed_files": 0,
    }


def review(u: Urls, r: Review, author: User) -> JSON:
    api = u.repo_api(r.repo)
    web = f"{u.web}/{r.repo}/pull/{r.number}"
    return {
        "id": r.id,
        "node_id": node_id("PullRequestReview", r.id),
        "user": user(u, author),
        "body": r.body,
        "state": r.state,
        "html_url": f"{web}#pullrequestreview-{r.id}",
        "pull_request_url": f"{api}/pulls/{r.number}",
        "_links": {
            "html": {"href": f"{web}#pullrequestreview-{r.id}"},
            "pull_request": {"href": f"{api}/pulls/{r.number}"},
        },
        "submitted_at": iso(r.submitted_at),
        "commit_id": r.commit_id,
        "author_association": "NONE",
    }


def review_comment(u: Urls, c: ReviewComment, author: User) -> JSON:
    api = u.repo_api(c.repo)
    web = f"{u.web}/{c.repo}/pull/{c.number}#discussion_r{c.id}"
    data: JSON = {
        "url": f"{api}/pulls/comments/{c.id}",
        "id": c.id,
        "node_id": node_id("PullRequestReviewComment", c.id),
        "pull_request_review_id": c.review_id,
        "diff_hunk": f"@@ -{c.line},1 +{c.line},1 @@",
        "path": c.path,
        "commit_id": c.commit_id,
        "original_commit_id": c.commit_id,
        "user": user(u, author),
        "body": c.body,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "html_url": web,
        "pull_request_url": f"{api}/pulls/{c.number}",
        "author_association": "NONE",
        "_links": {
            "self": {"href": f"{api}/pulls/comments/{c.id}"},
            "html": {"href": web},
            "pull_request": {"href": f"{api}/pulls/{c.number}"},
        },
        "line": c.line,
        "original_line": c.line,
        "side": c.side,
        "subject_type": "line",
        "start_line": c.start_line,
        "original_start_line": c.start_line,
        "start_side": c.start_side,
    }
    if c.in_reply_to_id is not None:
        data["in_reply_to_id"] = c.in_reply_to_id
    return data


def _repo_minimal(u: Urls, repo: Repo) -> JSON:
    return {"id": repo.id, "url": u.repo_api(repo.full_name), "name": repo.name}


def pull_minimal(u: Urls, pr: Pull, repo: Repo, head_sha: str, base_sha: str) -> JSON:
    """GitHub's `pull-request-minimal`, as check runs and check suites list pull requests."""
    return {
        "url": f"{u.repo_api(pr.repo)}/pulls/{pr.number}",
        "id": pr.id,
        "number": pr.number,
        "head": {"ref": pr.head, "sha": head_sha, "repo": _repo_minimal(u, repo)},
        "base": {"ref": pr.base, "sha": base_sha, "repo": _repo_minimal(u, repo)},
    }


def check_suite(
    u: Urls, run: CheckRun, app: JSON | None, pulls: list[JSON], before: str | None
) -> JSON:
    """The `simple-check-suite` a check run's webhook carries (one suite per run here)."""
    return {
        "id": run.id,
        "node_id": node_id("CheckSuite", run.id),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "status": run.status,
        "conclusion": run.conclusion,
        "url": f"{u.repo_api(run.repo)}/check-suites/{run.id}",
        "before": before,
        "after": run.head_sha,
        "pull_requests": pulls,
        "app": app,
        "created_at": iso(run.started_at),
        "updated_at": iso(run.completed_at or run.started_at),
    }


def check_run(
    u: Urls, run: CheckRun, app: JSON | None, pulls: list[JSON], suite: JSON | None = None
) -> JSON:
    """A check run as the REST API answers it (`suite` None: the suite is only its id) or
    as its webhook carries it (`suite`: the whole simple check suite)."""
    api = u.repo_api(run.repo)
    return {
        "id": run.id,
        "node_id": node_id("CheckRun", run.id),
        "head_sha": run.head_sha,
        "external_id": run.external_id,
        "url": f"{api}/check-runs/{run.id}",
        "html_url": f"{u.web}/{run.repo}/runs/{run.id}",
        "details_url": run.details_url,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": iso(run.started_at),
        "completed_at": iso(run.completed_at) if run.completed_at else None,
        "output": {
            "title": run.output.get("title"),
            "summary": run.output.get("summary"),
            "text": run.output.get("text"),
            "annotations_count": len(run.annotations),
            "annotations_url": f"{api}/check-runs/{run.id}/annotations",
        },
        "name": run.name,
        "check_suite": suite if suite is not None else {"id": run.id},
        "app": app,
        "pull_requests": pulls,
    }


def annotation(u: Urls, run: CheckRun, a: JSON) -> JSON:
    return {
        "path": a["path"],
        "start_line": a["start_line"],
        "end_line": a["end_line"],
        "start_column": a.get("start_column"),
        "end_column": a.get("end_column"),
        "annotation_level": a["annotation_level"],
        "title": a.get("title"),
        "message": a["message"],
        "raw_details": a.get("raw_details"),
        "blob_href": f"{u.web}/{run.repo}/blob/{run.head_sha}/{a['path']}",
    }
