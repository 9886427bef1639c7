"""The fake's responses match GitHub's published REST schemas (tests/fixtures/github)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator

from bot.github.app_auth import AppCredentials, create_app_jwt
from tests.fakegithub.fixtures import GitHubEnv
from tests.fakegithub.hooks import WebhookDelivery

SCHEMAS = Path(__file__).resolve().parent.parent / "fixtures" / "github"


def check(name: str, instance: Any, *, many: bool = False) -> None:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    if many:
        schema = {"type": "array", "items": schema}
        assert instance, f"expected a non-empty list for {name}"
    errors = sorted(Draft7Validator(schema).iter_errors(instance), key=str)
    assert not errors, f"{name}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
    )


@pytest.fixture
def api(github_env: GitHubEnv) -> httpx.Client:
    headers = {
        "Authorization": f"token {github_env.token()}",
        "Accept": "application/vnd.github+json",
    }
    return httpx.Client(base_url=f"{github_env.api_url}/repos/acme/widgets", headers=headers)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_repository_contents_refs_permissions(api: httpx.Client, github_env: GitHubEnv) -> None:
    check("full-repository", _ok(api.get(f"{github_env.api_url}/repos/acme/widgets")))
    check("content-file", _ok(api.get("/contents/src/app.py", params={"ref": "main"})))
    check("git-ref", _ok(api.get("/git/ref/heads/main")))
    check("repository-collaborator-permission", _ok(api.get("/collaborators/alice/permission")))
    check("rate-limit-overview", _ok(api.get(f"{github_env.api_url}/rate_limit")))


def test_issues_comments_reactions_labels(api: httpx.Client, github_env: GitHubEnv) -> None:
    n = github_env.issue.number
    check("issue", _ok(api.get(f"/issues/{n}")))
    check("issue", _ok(api.patch(f"/issues/{n}", json={"body": "new"})))
    comment = _ok(api.post(f"/issues/{n}/comments", json={"body": "hi"}), 201)
    check("issue-comment", comment)
    check("issue-comment", _ok(api.get(f"/issues/{n}/comments")), many=True)
    check("issue-comment", _ok(api.patch(f"/issues/comments/{comment['id']}", json={"body": "x"})))
    check(
        "reaction",
        _ok(
            api.post(f"/issues/comments/{comment['id']}/reactions", json={"content": "rocket"}), 201
        ),
    )
    check("label", _ok(api.post(f"/issues/{n}/labels", json={"labels": ["bug"]})), many=True)


def test_pulls_reviews_and_review_comments(api: httpx.Client, github_env: GitHubEnv) -> None:
    github_env.fake.commit_files("acme/widgets", {"b.txt": "one\ntwo\n"}, "b", branch="topic")
    pr = _ok(
        api.post("/pulls", json={"title": "T", "head": "topic", "base": "main", "draft": True}), 201
    )
    check("pull-request", pr)
    check("pull-request", _ok(api.get(f"/pulls/{pr['number']}")))
    check("pull-request", _ok(api.patch(f"/pulls/{pr['number']}", json={"title": "T2"})))
    check("pull-request-simple", _ok(api.get("/pulls")), many=True)
    review = _ok(
        api.post(
            f"/pulls/{pr['number']}/reviews",
            json={
                "body": "notes",
                "event": "COMMENT",
                "comments": [{"path": "b.txt", "line": 2, "body": "why?"}],
            },
        )
    )
    check("pull-request-review", review)
    comments = _ok(api.get(f"/pulls/{pr['number']}/comments"))
    check("pull-request-review-comment", comments, many=True)
    check(
        "pull-request-review-comment",
        _ok(
            api.post(
                f"/pulls/{pr['number']}/comments/{comments[0]['id']}/replies", json={"body": "ok"}
            ),
            201,
        ),
    )


def test_check_runs_and_annotations(api: httpx.Client, github_env: GitHubEnv) -> None:
    sha = github_env.fake.head_sha("acme/widgets", "main")
    run = _ok(api.post("/check-runs", json={"name": "qa", "head_sha": sha}), 201)
    check("check-run", run)
    output = {
        "title": "t",
        "summary": "s",
        "annotations": [
            {
                "path": "README.md",
                "start_line": 1,
                "end_line": 1,
                "annotation_level": "notice",
                "message": "m",
            }
        ],
    }
    check(
        "check-run",
        _ok(
            api.patch(f"/check-runs/{run['id']}", json={"conclusion": "neutral", "output": output})
        ),
    )
    check("check-annotation", _ok(api.get(f"/check-runs/{run['id']}/annotations")), many=True)


def test_app_endpoints(github_env: GitHubEnv) -> None:
    jwt = create_app_jwt(AppCredentials(github_env.app_id, github_env.private_key))
    app = httpx.Client(base_url=github_env.api_url, headers={"Authorization": f"Bearer {jwt}"})
    inst = github_env.installation.id
    check("installation", _ok(app.get(f"/app/installations/{inst}")))
    check("installation", _ok(app.get("/app/installations")), many=True)
    check("installation", _ok(app.get("/repos/acme/widgets/installation")))
    check("installation-token", _ok(app.post(f"/app/installations/{inst}/access_tokens"), 201))


def test_error_bodies(api: httpx.Client, github_env: GitHubEnv) -> None:
    check("basic-error", _ok(api.get("/issues/999"), 404))
    check("basic-error", _ok(httpx.get(f"{github_env.api_url}/repos/acme/widgets"), 401))
    check(
        "validation-error",
        _ok(api.post("/pulls", json={"title": "T", "head": "nope", "base": "main"}), 422),
    )


def test_webhook_payload_objects(github_env: GitHubEnv) -> None:
    seen: list[WebhookDelivery] = []
    github_env.fake.send_webhooks_to(seen.append, "s3cret")
    github_env.fake.add_comment("acme/widgets", github_env.issue.number, "@codemonkey plan")
    payload = seen[0].payload
    check("issue-comment", payload["comment"])
    check("issue", payload["issue"])
    check("simple-user", payload["sender"])
