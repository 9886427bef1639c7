"""Git smart HTTP for the fake: `git http-backend` as CGI, behind GitHub's token rules.

Clone and fetch need a token that reaches the repository (the repos are private); push
needs the same. Credentials come as HTTP basic auth (`x-access-token:<token>`), as git sends
them from `http.extraheader` or a credential helper.
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakegithub.pushes import after_push, snapshot
from tests.fakegithub.state import RecordedRequest

if TYPE_CHECKING:
    from tests.fakegithub.fake import FakeGitHub

CHALLENGE = {"WWW-Authenticate": 'Basic realm="GitHub"'}


def _token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        _user, _, password = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return password or None


def _sync_pull_refs(fake: FakeGitHub, full_name: str) -> None:
    with fake.lock:
        fake.sync_pull_refs(full_name)


def _reaches(fake: FakeGitHub, repos: set[str], full_name: str) -> bool:
    """A token reaches its own repositories, and a fork whose open pull request into one
    of them allows edits from maintainers ("Allow edits by maintainers")."""
    if full_name in repos:
        return True
    return any(
        pr.head_repo == full_name
        and pr.repo in repos
        and pr.maintainer_can_modify
        and fake.issues[(pr.repo, pr.number)].state == "open"
        for pr in fake.pulls.values()
    )


def git_route(fake: FakeGitHub) -> Route:
    async def handle(request: Request) -> Response:
        owner = request.path_params["owner"]
        name = request.path_params["repo"]
        rest = request.path_params["rest"]
        full_name = f"{owner}/{name}"
        body = await request.body()
        status = 200
        try:
            repo = fake.repos.get(full_name)
            token = _token(request)
            grant = fake.tokens.get(token) if token else None
            if grant is None or grant.expires_at <= time.time():
                status = 401
                return Response("Authentication required\n", 401, headers=CHALLENGE)
            if repo is None or not _reaches(fake, grant.repos, full_name):
                status = 404
                return Response("Repository not found.\n", 404)
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(fake.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull,
                "PATH_INFO": f"/{owner}/{name}.git/{rest}",
                "REQUEST_METHOD": request.method,
                "QUERY_STRING": request.url.query,
                "CONTENT_TYPE": request.headers.get("content-type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": grant.actor,
                "REMOTE_ADDR": "127.0.0.1",
                "GIT_PROTOCOL": request.headers.get("git-protocol", ""),
            }
            if request.headers.get("content-encoding"):
                env["HTTP_CONTENT_ENCODING"] = request.headers["content-encoding"]
            pushing = rest == "git-receive-pack" and request.method == "POST"
            if not pushing:
                # GitHub keeps `refs/pull/N/head` of every PR, fork PRs included.
                await run_in_threadpool(_sync_pull_refs, fake, full_name)
            before = await run_in_threadpool(snapshot, fake, full_name) if pushing else {}
            done = await run_in_threadpool(
                subprocess.run,
                ["git", "http-backend"],
                input=body,
                env=env,
                capture_output=True,
                check=False,
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            headers: dict[str, str] = {}
            for line in head.decode("latin-1").split("\r\n"):
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.strip().split()[0])
                elif key:
                    headers[key] = value.strip()
            if pushing and status == 200:
                await run_in_threadpool(after_push, fake, full_name, grant.actor, before)
            return Response(payload, status, headers=headers)
        finally:
            with fake.lock:
                fake.requests.append(
                    RecordedRequest(
                        request.method,
                        request.url.path,
                        request.url.query,
                        status,
                        None,
                        "basic" if _token(request) else "",
                    )
                )

    return Route("/{owner}/{repo}.git/{rest:path}", handle, methods=["GET", "POST"])
