"""JSON bodies shaped like GitHub's REST responses (the schemas in tests/fixtures/github)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from tests.fakegithub.state import (
    App,
    CheckRun,
    Installation,
    Issue,
    IssueComment,
    Label,
    Pull,
    Reaction,
    Repo,
    Review,
    ReviewComment,
    User,
    iso,
)

JSON = dict[str, Any]

_REPO_URL_FIELDS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


@dataclass(frozen=True)
class Urls:
    web: str
    """Server root, e.g. http://127.0.0.1:PORT (html_url and git live here)."""

    @property
    def api(self) -> str:
        return f"{self.web}/api/v3"

    def repo_api(self, full_name: str) -> str:
        return f"{self.api}/repos/{full_name}"


def node_id(kind: str, ident: int) -> str:
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


def user(u: Urls, who: User) -> JSON:
    api = f"{u.api}/users/{who.login}"
    return {
        "login": who.login,
        "id": who.id,
        "node_id": node_id("User", who.id),
        "avatar_url": f"{u.web}/avatars/u/{who.id}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{u.web}/{who.login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": who.type,
        "site_admin": False,
        "user_view_type": "public",
    }


def repository(u: Urls, repo: Repo, owner: User, *, full: bool = True) -> JSON:
    api = u.repo_api(repo.full_name)
    data: JSON = {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": user(u, owner),
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "html_url": f"{u.web}/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": api,
        "clone_url": f"{u.web}/{repo.full_name}.git",
        "git_url": f"{u.web.replace('http', 'git', 1)}/{repo.full_name}.git",
        "ssh_url": f"git@127.0.0.1:{repo.full_name}.git",
        "svn_url": f"{u.web}/{repo.full_name}",
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 0,
        "default_branch": repo.default_branch,
        "open_issues": 0,
        "open_issues_count": 0,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "license": None,
        "pushed_at": iso(repo.created_at),
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.created_at),
        "allow_forking": True,
        "web_commit_signoff_required": False,
    }
    data.update({key: api + suffix for key, suffix in _REPO_URL_FIELDS.items()})
    if full:
        data["network_count"] = 0
        data["subscribers_count"] = 0
    return data


def label(u: Urls, repo: str, lab: Label) -> JSON:
    return {
        "id": lab.id,
        "node_id": node_id("Label", lab.id),
        "url": f"{u.repo_api(repo)}/labels/{lab.name}",
        "name": lab.name,
        "description": lab.description,
        "color": lab.color,
        "default": False,
    }


def issue(u: Urls, item: Issue, author: User, labels: list[JSON], comments: int) -> JSON:
    api = u.repo_api(item.repo)
    data: JSON = {
        "id": item.id,
        "node_id": node_id("Issue", item.id),
        "url": f"{api}/issues/{item.number}",
        "repository_url": api,
        "labels_url": f"{api}/issues/{item.number}/labels{{/name}}",
        "comments_url": f"{api}/issues/{item.number}/comments",
        "events_url": f"{api}/issues/{item.number}/events",
        "html_url": f"{u.web}/{item.repo}/{'pull' if item.is_pull else 'issues'}/{item.number}",
        "number": item.number,
        "state": item.state,
        "state_reason": None,
        "title": item.title,
        "body": item.body,
        "user": user(u, author),
        "labels": labels,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": comments,
        "closed_at": None,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "author_association": "NONE",
    }
    if item.is_pull:
        data["pull_request"] = {
            "url": f"{api}/pulls/{item.number}",
            "html_url": f"{u.web}/{item.repo}/pull/{item.number}",
            "diff_url": f"{u.web}/{item.repo}/pull/{item.number}.diff",
            "patch_url": f"{u.web}/{item.repo}/pull/{item.number}.patch",
            "merged_at": None,
        }
    return data


def issue_comment(u: Urls, c: IssueComment, author: User) -> JSON:
    api = u.repo_api(c.repo)
    return {
        "id": c.id,
        "node_id": node_id("IssueComment", c.id),
        "url": f"{api}/issues/comments/{c.id}",
        "html_url": f"{u.web}/{c.repo}/issues/{c.number}#issuecomment-{c.id}",
        "issue_url": f"{api}/issues/{c.number}",
        "body": c.body,
        "user": user(u, author),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "author_association": "NONE",
    }


def reaction(u: Urls, r: Reaction, who: User) -> JSON:
    return {
        "id": r.id,
        "node_id": node_id("Reaction", r.id),
        "user": user(u, who),
        "content": r.content,
        "created_at": iso(r.created_at),
    }


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
        "head": _branch(u, repo_json, owner, pr.head, head_sha),
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
        "maintainer_can_modify": False,
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
    }
    if c.in_reply_to_id is not None:
        data["in_reply_to_id"] = c.in_reply_to_id
    return data


def app_json(u: Urls, app: App, owner: User) -> JSON:
    return {
        "id": app.id,
        "slug": app.slug,
        "node_id": node_id("Integration", app.id),
        "client_id": f"Iv1.{app.id:016x}",
        "owner": user(u, owner),
        "name": app.name,
        "description": "",
        "external_url": u.web,
        "html_url": f"{u.web}/apps/{app.slug}",
        "created_at": iso(0),
        "updated_at": iso(0),
        "permissions": {
            "contents": "write",
            "issues": "write",
            "pull_requests": "write",
            "checks": "write",
            "metadata": "read",
        },
        "events": ["issues", "issue_comment", "pull_request"],
    }


def check_run(u: Urls, run: CheckRun, app: JSON | None) -> JSON:
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
        "check_suite": {"id": run.id},
        "app": app,
        "pull_requests": [],
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


def content_file(u: Urls, repo: str, path: str, ref: str, blob: bytes, sha: str) -> JSON:
    api = f"{u.repo_api(repo)}/contents/{path}?ref={ref}"
    html = f"{u.web}/{repo}/blob/{ref}/{path}"
    git = f"{u.repo_api(repo)}/git/blobs/{sha}"
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(blob),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": base64.encodebytes(blob).decode(),
        "sha": sha,
        "url": api,
        "git_url": git,
        "html_url": html,
        "download_url": f"{u.web}/raw/{repo}/{ref}/{path}",
        "_links": {"self": api, "git": git, "html": html},
    }


def git_ref(u: Urls, repo: str, ref: str, sha: str) -> JSON:
    return {
        "ref": ref,
        "node_id": node_id("Ref", int(hashlib.sha1(ref.encode()).hexdigest()[:8], 16)),  # noqa: S324
        "url": f"{u.repo_api(repo)}/git/{ref}",
        "object": {"type": "commit", "sha": sha, "url": f"{u.repo_api(repo)}/git/commits/{sha}"},
    }


def installation(u: Urls, inst: Installation, app: App, account: User) -> JSON:
    return {
        "id": inst.id,
        "account": user(u, account),
        "repository_selection": "selected",
        "access_tokens_url": f"{u.api}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{u.api}/installation/repositories",
        "html_url": f"{u.web}/settings/installations/{inst.id}",
        "app_id": app.id,
        "app_slug": app.slug,
        "target_id": account.id,
        "target_type": "Organization" if account.type == "Organization" else "User",
        "permissions": {
            "contents": "write",
            "issues": "write",
            "pull_requests": "write",
            "checks": "write",
            "metadata": "read",
        },
        "events": ["issues", "issue_comment", "pull_request"],
        "created_at": iso(inst.created_at),
        "updated_at": iso(inst.created_at),
        "single_file_name": None,
        "suspended_by": None,
        "suspended_at": None,
    }


def rate_limit(limit: int, remaining: int, reset: int) -> JSON:
    one = {"limit": limit, "used": limit - remaining, "remaining": remaining, "reset": reset}
    return {
        "resources": {
            "core": one,
            "search": dict(one, limit=30, used=0, remaining=30),
            "graphql": one,
        },
        "rate": one,
    }
