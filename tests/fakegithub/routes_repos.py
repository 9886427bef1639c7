"""Fake handlers: the App endpoints, repositories, contents, refs, permissions."""

from __future__ import annotations

from tests.fakegithub import shapes
from tests.fakegithub.api import (
    ApiError,
    Ctx,
    Reply,
    invalid,
    not_found,
)
from tests.fakegithub.state import (
    iso,
)

ROLE_TO_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}


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
