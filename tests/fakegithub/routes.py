"""The fake's route table: every REST path CodeMonkey calls, with its auth kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from tests.fakegithub import manifests
from tests.fakegithub import routes_checks as checks
from tests.fakegithub import routes_issues as issues
from tests.fakegithub import routes_pulls as pulls
from tests.fakegithub import routes_repos as repos
from tests.fakegithub.api import Handler, endpoint

if TYPE_CHECKING:
    from tests.fakegithub.fake import FakeGitHub


R = "/repos/{owner}/{repo}"


def routes(fake: FakeGitHub) -> list[Route]:
    table: list[tuple[str, str, Handler, str]] = [
        ("/rate_limit", "GET", repos.rate_limit, "token"),
        ("/app-manifests/{code}/conversions", "POST", manifests.create_from_manifest, "none"),
        ("/app", "GET", repos.get_app, "jwt"),
        ("/app/installations", "GET", repos.list_installations, "jwt"),
        ("/app/installations/{installation_id:int}", "GET", repos.get_installation, "jwt"),
        (
            "/app/installations/{installation_id:int}/access_tokens",
            "POST",
            repos.create_access_token,
            "jwt",
        ),
        (R + "/installation", "GET", repos.repo_installation, "jwt"),
        (R, "GET", repos.get_repo, "token"),
        (
            R + "/collaborators/{username}/permission",
            "GET",
            repos.collaborator_permission,
            "token",
        ),
        (R + "/contents/", "GET", repos.get_contents, "token"),
        (R + "/contents/{path:path}", "GET", repos.get_contents, "token"),
        (R + "/git/ref/{ref:path}", "GET", repos.get_ref, "token"),
        (R + "/git/refs", "POST", repos.create_ref, "token"),
        (
            R + "/issues/comments/{comment_id:int}",
            "GET",
            issues.get_comment,
            "token",
        ),
        (
            R + "/issues/comments/{comment_id:int}",
            "PATCH",
            issues.update_comment,
            "token",
        ),
        (
            R + "/issues/comments/{comment_id:int}/reactions",
            "POST",
            issues.create_reaction,
            "token",
        ),
        (
            R + "/issues/comments/{comment_id:int}/reactions",
            "GET",
            issues.list_reactions,
            "token",
        ),
        (R + "/issues/{number:int}", "GET", issues.get_issue, "token"),
        (R + "/issues/{number:int}", "PATCH", issues.update_issue, "token"),
        (
            R + "/issues/{number:int}/comments",
            "GET",
            issues.list_comments,
            "token",
        ),
        (
            R + "/issues/{number:int}/comments",
            "POST",
            issues.create_comment,
            "token",
        ),
        (R + "/issues/{number:int}/labels", "POST", issues.add_labels, "token"),
        (R + "/issues/{number:int}/labels", "GET", issues.list_labels, "token"),
        (R + "/pulls", "GET", pulls.list_pulls, "token"),
        (R + "/pulls", "POST", pulls.create_pull, "token"),
        (R + "/pulls/{number:int}", "GET", pulls.get_pull, "token"),
        (R + "/pulls/{number:int}", "PATCH", pulls.update_pull, "token"),
        (R + "/pulls/{number:int}/reviews", "POST", pulls.create_review, "token"),
        (R + "/pulls/{number:int}/reviews", "GET", pulls.list_reviews, "token"),
        (
            R + "/pulls/{number:int}/comments",
            "GET",
            pulls.list_review_comments,
            "token",
        ),
        (
            R + "/pulls/{number:int}/comments",
            "POST",
            pulls.create_review_comment,
            "token",
        ),
        (
            R + "/pulls/{number:int}/comments/{comment_id:int}/replies",
            "POST",
            pulls.reply_review_comment,
            "token",
        ),
        (R + "/check-runs", "POST", checks.create_check_run, "token"),
        (
            R + "/check-runs/{check_run_id:int}",
            "GET",
            checks.get_check_run,
            "token",
        ),
        (
            R + "/check-runs/{check_run_id:int}",
            "PATCH",
            checks.update_check_run,
            "token",
        ),
        (
            R + "/check-runs/{check_run_id:int}/annotations",
            "GET",
            checks.list_annotations,
            "token",
        ),
    ]
    out = [
        Route(path, endpoint(fake, handler, auth), methods=[method])
        for path, method, handler, auth in table
    ]
    return out


def graphql_route(fake: FakeGitHub) -> Route:
    return Route("/api/graphql", endpoint(fake, pulls.graphql, "token"), methods=["POST"])
