"""`GitHubHost`: the `GitHost` contract over GitHub's REST API, through PyGithub.

Works with github.com and GitHub Enterprise Server alike (pass the API URL, e.g.
`https://ghe.example.com/api/v3`). Two ways to authenticate: as an App installation
(tokens minted and cached by `InstallationTokens`) or with a fixed token such as an
Action's `GITHUB_TOKEN`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar, cast, get_args
from urllib.parse import quote

from github import Auth, Github
from github.Repository import Repository

from agents.githost import (
    CheckConclusion,
    CheckRunOutput,
    Comment,
    GitHostAuthError,
    GitHostError,
    GitHostNotFound,
    Permission,
    PullRequestRef,
    RepoRef,
    ReviewComment,
)
from bot.github.app_auth import InstallationTokens
from bot.github.errors import translated
from bot.github.rest_bodies import (
    annotation_batches,
    check_output_json,
    fitted_body,
    pull_request_ref,
    review_comment_json,
)
from bot.github.retry import RetryPolicy

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = "codemonkey"
_PERMISSIONS: frozenset[str] = frozenset(get_args(Permission))
CheckStatus = Literal["queued", "in_progress", "completed"]


class _DynamicTokenAuth(Auth.Auth):
    """PyGithub auth that asks for the token on every request, so cached tokens rotate."""

    def __init__(self, token: Callable[[], str]) -> None:
        self._token = token

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._token()

    def __repr__(self) -> str:
        return "_DynamicTokenAuth(token=***)"


def build_client(
    api_url: str, token: Callable[[], str], policy: RetryPolicy, timeout_seconds: int = 30
) -> Github:
    return Github(
        base_url=api_url.rstrip("/"),
        auth=_DynamicTokenAuth(token),
        user_agent=USER_AGENT,
        timeout=timeout_seconds,
        retry=policy.build(),
        seconds_between_requests=policy.seconds_between_requests,
        seconds_between_writes=policy.seconds_between_writes,
        per_page=100,
        lazy=True,
    )


P = ParamSpec("P")
R = TypeVar("R")


def fresh_token_on_401(
    method: Callable[Concatenate[GitHubHost, P], R],
) -> Callable[Concatenate[GitHubHost, P], R]:
    """GitHub rejected the cached installation token (revoked, the app reinstalled, a
    cache shared with another deployment): drop it and try once more with a fresh one. A
    401 means nothing was done, so the call is safe to repeat."""

    @functools.wraps(method)
    def call(self: GitHubHost, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except GitHostAuthError as exc:
            if exc.status != 401 or self._forget_token is None:
                raise
            self._forget_token()
            return method(self, *args, **kwargs)

    return call


class GitHubHost:
    """`GitHost` for one installation (or one token); every call goes to the REST API."""

    def __init__(
        self,
        client: Github,
        token: Callable[[], str],
        forget_token: Callable[[], None] | None = None,
    ) -> None:
        self._gh = client
        self._token = token
        # Installation tokens are cached; a 401 means the cached one is no longer accepted.
        self._forget_token = forget_token

    @classmethod
    def for_installation(
        cls,
        tokens: InstallationTokens,
        installation_id: int,
        *,
        api_url: str = DEFAULT_API_URL,
        policy: RetryPolicy | None = None,
    ) -> GitHubHost:
        def token() -> str:
            return tokens.token(installation_id)

        def forget() -> None:
            tokens.forget(installation_id)

        return cls(build_client(api_url, token, policy or RetryPolicy()), token, forget)

    @classmethod
    def for_token(
        cls, token: str, *, api_url: str = DEFAULT_API_URL, policy: RetryPolicy | None = None
    ) -> GitHubHost:
        """Action mode: a workflow's `GITHUB_TOKEN` (or any installation/PAT token)."""
        if not token:
            raise GitHostAuthError(
                "no GitHub token: pass `github-token: ${{ secrets.GITHUB_TOKEN }}` to the "
                "action or set GITHUB_TOKEN"
            )

        def fixed() -> str:
            return token

        return cls(build_client(api_url, fixed, policy or RetryPolicy()), fixed)

    @classmethod
    def for_action(
        cls, environ: Mapping[str, str], *, policy: RetryPolicy | None = None
    ) -> GitHubHost:
        """Inside a workflow: `GITHUB_TOKEN` and `GITHUB_API_URL` (set by the runner, and
        pointing at the Enterprise server when there is one)."""
        api_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
        return cls.for_token(environ.get("GITHUB_TOKEN", ""), api_url=api_url, policy=policy)

    def __repr__(self) -> str:
        return "GitHubHost()"

    # helpers

    def _repo(self, repo: RepoRef) -> Repository:
        return self._gh.get_repo(repo.full_name)

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        _, data = self._gh.requester.requestJsonAndCheck(method, path, input=body)
        return cast(dict[str, Any], data)

    # GitHost

    @fresh_token_on_401
    def default_branch(self, repo: RepoRef) -> str:
        with translated(f"reading {repo.full_name}"):
            return str(self._gh.get_repo(repo.full_name).default_branch)

    @fresh_token_on_401
    def permission(self, repo: RepoRef, username: str) -> Permission:
        try:
            with translated(f"reading {username}'s permission on {repo.full_name}"):
                data = self._request(
                    "GET",
                    f"/repos/{repo.full_name}/collaborators/{quote(username, safe='')}/permission",
                )
        except GitHostNotFound:
            return "none"
        # role_name distinguishes maintain/triage; custom roles fall back to the base level.
        for value in (data.get("role_name"), data.get("permission")):
            if value in _PERMISSIONS:
                return cast(Permission, value)
        return "none"

    @fresh_token_on_401
    def read_file(self, repo: RepoRef, path: str, ref: str) -> str | None:
        try:
            with translated(f"reading {path}@{ref} in {repo.full_name}"):
                content = self._repo(repo).get_contents(path, ref=ref)
                if isinstance(content, list) or content.type != "file":
                    return None
                if content.encoding != "base64":
                    raise GitHostError(
                        f"{path} is larger than the contents API serves (1 MB); "
                        "read it from a clone instead"
                    )
                return content.decoded_content.decode("utf-8", errors="replace")
        except GitHostNotFound:
            return None

    @fresh_token_on_401
    def comment(self, repo: RepoRef, number: int, body: str) -> Comment:
        with translated(f"commenting on {repo.full_name}#{number}"):
            made = self._repo(repo).get_issue(number).create_comment(fitted_body(body, "comment"))
            return Comment(made.id, made.html_url)

    @fresh_token_on_401
    def update_comment(self, repo: RepoRef, comment_id: int, body: str) -> None:
        with translated(f"editing comment {comment_id} in {repo.full_name}"):
            self._request(
                "PATCH",
                f"/repos/{repo.full_name}/issues/comments/{comment_id}",
                {"body": fitted_body(body, "comment")},
            )

    @fresh_token_on_401
    def react(self, repo: RepoRef, comment_id: int, content: str) -> None:
        with translated(f"reacting to comment {comment_id} in {repo.full_name}"):
            self._request(
                "POST",
                f"/repos/{repo.full_name}/issues/comments/{comment_id}/reactions",
                {"content": content},
            )

    @fresh_token_on_401
    def reply_to_review_comment(
        self, repo: RepoRef, number: int, comment_id: int, body: str
    ) -> Comment:
        with translated(f"replying to review comment {comment_id} on {repo.full_name}#{number}"):
            made = (
                self._repo(repo)
                .get_pull(number)
                .create_review_comment_reply(comment_id, fitted_body(body, "reply"))
            )
            return Comment(made.id, made.html_url)

    @fresh_token_on_401
    def add_labels(self, repo: RepoRef, number: int, labels: list[str]) -> None:
        if not labels:
            return
        with translated(f"labelling {repo.full_name}#{number}"):
            self._repo(repo).get_issue(number).add_to_labels(*labels)

    @fresh_token_on_401
    def issue_body(self, repo: RepoRef, number: int) -> str:
        with translated(f"reading {repo.full_name}#{number}"):
            return str(self._repo(repo).get_issue(number).body or "")

    @fresh_token_on_401
    def update_issue_body(self, repo: RepoRef, number: int, body: str) -> None:
        with translated(f"editing {repo.full_name}#{number}"):
            self._request(
                "PATCH",
                f"/repos/{repo.full_name}/issues/{number}",
                {"body": fitted_body(body, "issue body")},
            )

    @fresh_token_on_401
    def open_pull_request(
        self, repo: RepoRef, *, head: str, base: str, title: str, body: str, draft: bool
    ) -> PullRequestRef:
        gh_repo = self._repo(repo)
        try:
            with translated(f"opening a pull request from {head} in {repo.full_name}"):
                pr = gh_repo.create_pull(
                    base=base,
                    head=head,
                    title=title,
                    body=fitted_body(body, "description"),
                    draft=draft,
                )
                return pull_request_ref(pr)
        except GitHostError as exc:
            if exc.status != 422 or "already exists" not in str(exc):
                raise
        # Creating first and looking up on conflict keeps two workers from opening two PRs.
        with translated(f"finding the open pull request for {head} in {repo.full_name}"):
            for pr in gh_repo.get_pulls(state="open", head=f"{repo.owner}:{head}"):
                return pull_request_ref(pr)
        raise GitHostError(f"GitHub says a pull request for {head} exists but none is open")

    @fresh_token_on_401
    def update_pull_request(
        self,
        repo: RepoRef,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        ready_for_review: bool | None = None,
    ) -> None:
        with translated(f"updating {repo.full_name}#{number}"):
            text = None if body is None else fitted_body(body, "description")
            fields = {k: v for k, v in (("title", title), ("body", text)) if v is not None}
            if fields:
                self._request("PATCH", f"/repos/{repo.full_name}/pulls/{number}", fields)
            if ready_for_review is None:
                return
            pr = self._gh.get_repo(repo.full_name).get_pull(number)
            if bool(pr.draft) == (not ready_for_review):
                return
            # The REST API cannot change draft state; GitHub offers only these GraphQL mutations.
            if ready_for_review:
                pr.mark_ready_for_review()
            else:
                pr.convert_to_draft()

    @fresh_token_on_401
    def pull_request(self, repo: RepoRef, number: int) -> PullRequestRef:
        with translated(f"reading {repo.full_name}#{number}"):
            return pull_request_ref(self._repo(repo).get_pull(number))

    @fresh_token_on_401
    def create_review(
        self,
        repo: RepoRef,
        number: int,
        *,
        commit_sha: str,
        body: str,
        event: Literal["COMMENT", "APPROVE", "REQUEST_CHANGES"],
        comments: list[ReviewComment],
    ) -> int:
        payload = {
            "commit_id": commit_sha,
            "body": fitted_body(body, "review"),
            "event": event,
            "comments": [review_comment_json(c) for c in comments],
        }
        with translated(f"reviewing {repo.full_name}#{number}"):
            data = self._request("POST", f"/repos/{repo.full_name}/pulls/{number}/reviews", payload)
            return int(data["id"])

    @fresh_token_on_401
    def create_check_run(
        self,
        repo: RepoRef,
        *,
        name: str,
        head_sha: str,
        status: CheckStatus,
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> int:
        batches = annotation_batches(output)
        payload: dict[str, Any] = {"name": name, "head_sha": head_sha, "status": status}
        if conclusion is not None:
            payload["conclusion"] = conclusion
        if output is not None:
            payload["output"] = check_output_json(output, batches[0])
        with translated(f"creating check run {name!r} on {repo.full_name}"):
            data = self._request("POST", f"/repos/{repo.full_name}/check-runs", payload)
            run_id = int(data["id"])
            self._more_annotations(repo, run_id, output, batches[1:])
            return run_id

    @fresh_token_on_401
    def update_check_run(
        self,
        repo: RepoRef,
        check_run_id: int,
        *,
        status: CheckStatus,
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> None:
        batches = annotation_batches(output)
        payload: dict[str, Any] = {"status": status}
        if conclusion is not None:
            payload["conclusion"] = conclusion
        if output is not None:
            payload["output"] = check_output_json(output, batches[0])
        with translated(f"updating check run {check_run_id} on {repo.full_name}"):
            self._request("PATCH", f"/repos/{repo.full_name}/check-runs/{check_run_id}", payload)
            self._more_annotations(repo, check_run_id, output, batches[1:])

    @fresh_token_on_401
    def clone_url(self, repo: RepoRef) -> str:
        with translated(f"reading {repo.full_name}"):
            return str(self._gh.get_repo(repo.full_name).clone_url)

    def git_token(self, repo: RepoRef) -> str:
        return self._token()

    def _more_annotations(
        self,
        repo: RepoRef,
        run_id: int,
        output: CheckRunOutput | None,
        batches: list[list[dict[str, Any]]],
    ) -> None:
        assert output is not None or not batches
        for batch in batches:
            assert output is not None
            self._request(
                "PATCH",
                f"/repos/{repo.full_name}/check-runs/{run_id}",
                {"output": check_output_json(output, batch)},
            )
