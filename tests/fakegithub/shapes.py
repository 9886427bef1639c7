"""JSON bodies shaped like GitHub's REST responses (the schemas in tests/fixtures/github)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.fakegithub.state import (
    App,
    Installation,
    Issue,
    IssueComment,
    Label,
    Reaction,
    Repo,
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
        "fork": repo.parent is not None,
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


def issue(
    u: Urls,
    item: Issue,
    author: User,
    labels: list[JSON],
    comments: int,
    assignees: Sequence[User] = (),
) -> JSON:
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
        "assignee": user(u, assignees[0]) if assignees else None,
        "assignees": [user(u, a) for a in assignees],
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
