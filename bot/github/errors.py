"""PyGithub's exceptions translated into the `GitHostError` hierarchy, saying what to do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from github import GithubException, RateLimitExceededException
from github.GithubException import RateLimitExceededExceedsMaxWait

from agents.githost import GitHostAuthError, GitHostError, GitHostNotFound, GitHostRateLimited


@contextmanager
def translated(doing: str) -> Iterator[None]:
    """Turn PyGithub's exceptions into the `GitHostError` hierarchy, saying what to do."""
    try:
        yield
    except RateLimitExceededExceedsMaxWait as exc:
        raise GitHostRateLimited(
            f"GitHub rate limit while {doing}: a retry needs {exc.wait or 0:.0f}s, more than "
            "allowed; the task will be retried later",
            wait_seconds=exc.wait or 0.0,
            status=exc.status,
        ) from exc
    except RateLimitExceededException as exc:
        raise GitHostRateLimited(
            f"GitHub rate limit while {doing} persisted through retries; retry later",
            wait_seconds=60.0,
            status=exc.status,
        ) from exc
    except GithubException as exc:
        message = github_message(exc)
        if exc.status == 401:
            raise GitHostAuthError(
                f"GitHub rejected the credentials while {doing} (401 {message}); check the App "
                "id and private key, or the GITHUB_TOKEN",
                status=401,
            ) from exc
        if exc.status == 403:
            raise GitHostAuthError(
                f"GitHub refused {doing} (403 {message}); grant the app the permission this "
                "needs (contents, issues, pull_requests or checks: write)",
                status=403,
            ) from exc
        if exc.status == 404:
            raise GitHostNotFound(
                f"not found while {doing} (404); check the name and that the app is installed "
                "on the repository",
                status=404,
            ) from exc
        raise GitHostError(
            f"GitHub answered {exc.status} while {doing}: {message}", status=exc.status
        ) from exc


def github_message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    parts = [str(data.get("message", ""))]
    for error in data.get("errors") or []:
        parts.append(str(error.get("message", error)) if isinstance(error, dict) else str(error))
    return "; ".join(p for p in parts if p)[:500]
