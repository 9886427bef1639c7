"""The fake GitHub is strict where GitHub is: JWT rules, token scope, webhooks, git auth."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from jsonschema import Draft7Validator

from tests.fakegithub.fake import FakeGitHub
from tests.fakegithub.fixtures import GitHubEnv
from tests.fakegithub.hooks import WebhookDelivery, sign

SCHEMAS = Path(__file__).resolve().parent.parent / "fixtures" / "github"


def _jwt(env: GitHubEnv, **claims: object) -> str:
    now = int(time.time())
    body = {"iat": now - 60, "exp": now + 540, "iss": str(env.app_id), **claims}
    return jwt.encode(body, env.private_key, algorithm="RS256")


def _mint(env: GitHubEnv, token: str) -> httpx.Response:
    return httpx.post(
        f"{env.api_url}/app/installations/{env.installation.id}/access_tokens",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_jwt_rules(github_env: GitHubEnv) -> None:
    now = int(time.time())
    assert _mint(github_env, _jwt(github_env)).status_code == 201
    assert _mint(github_env, _jwt(github_env, exp=now - 1)).status_code == 401
    assert _mint(github_env, _jwt(github_env, exp=now + 3600)).status_code == 401
    assert _mint(github_env, _jwt(github_env, iss="1")).status_code == 401
    hs256 = jwt.encode(
        {"iat": now, "exp": now + 60, "iss": str(github_env.app_id)}, "k" * 32, algorithm="HS256"
    )
    assert _mint(github_env, hs256).status_code == 401
    assert _mint(github_env, github_env.token()).status_code == 401
    assert httpx.get(f"{github_env.api_url}/app").status_code == 401


def test_tokens_are_scoped_and_expire(github_env: GitHubEnv) -> None:
    fake = github_env.fake
    fake.create_repo("other/thing")
    token = github_env.token()
    headers = {"Authorization": f"token {token}"}
    assert httpx.get(f"{github_env.api_url}/repos/acme/widgets", headers=headers).status_code == 200
    assert httpx.get(f"{github_env.api_url}/repos/other/thing", headers=headers).status_code == 404
    short = fake.issue_installation_token(github_env.installation.id, ttl=0.0)
    response = httpx.get(
        f"{github_env.api_url}/repos/acme/widgets", headers={"Authorization": f"token {short}"}
    )
    assert (response.status_code, response.json()["message"]) == (401, "Bad credentials")


def test_git_requires_a_token(github_env: GitHubEnv, tmp_path: Path) -> None:
    url = f"{github_env.fake.urls.web}/acme/widgets.git"
    done = subprocess.run(
        ["git", "clone", url, str(tmp_path / "c")],
        capture_output=True,
        text=True,
        env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode != 0
    assert any(
        r.path.startswith("/acme/widgets.git") and r.status == 401 for r in github_env.fake.requests
    )


def test_duplicate_pull_request_is_422(github_env: GitHubEnv) -> None:
    fake = github_env.fake
    fake.commit_files("acme/widgets", {"f": "1\n"}, "f", branch="topic")
    api = httpx.Client(
        base_url=f"{github_env.api_url}/repos/acme/widgets",
        headers={"Authorization": f"token {github_env.token()}"},
    )
    body = {"title": "T", "head": "acme:topic", "base": "main"}
    assert api.post("/pulls", json=body).status_code == 201
    again = api.post("/pulls", json=body)
    assert again.status_code == 422
    assert again.json()["errors"][0]["message"] == "A pull request already exists for acme:topic."
    listed = api.get("/pulls", params={"head": "acme:topic", "state": "open"}).json()
    assert [p["head"]["ref"] for p in listed] == ["topic"]


def test_lists_are_paginated_with_link_headers(github_env: GitHubEnv) -> None:
    for i in range(5):
        github_env.fake.add_comment("acme/widgets", 1, f"c{i}", emit=False)
    api = httpx.Client(
        base_url=f"{github_env.api_url}/repos/acme/widgets",
        headers={"Authorization": f"token {github_env.token()}"},
    )
    first = api.get("/issues/1/comments", params={"per_page": 2})
    assert [c["body"] for c in first.json()] == ["c0", "c1"]
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    last = api.get("/issues/1/comments", params={"per_page": 2, "page": 3})
    assert [c["body"] for c in last.json()] == ["c4"] and "link" not in last.headers


def test_graphql_rejects_unknown_operations(github_env: GitHubEnv) -> None:
    response = httpx.post(
        f"{github_env.fake.urls.web}/api/graphql",
        headers={"Authorization": f"bearer {github_env.token()}"},
        json={"query": "query { viewer { login } }"},
    )
    assert response.status_code == 200 and response.json()["errors"]


def _verify(secret: str, delivery: WebhookDelivery) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, delivery.headers["X-Hub-Signature-256"])


def test_bot_actions_emit_signed_webhooks(github_env: GitHubEnv) -> None:
    fake = github_env.fake
    seen: list[WebhookDelivery] = []
    fake.send_webhooks_to(seen.append, "topsecret")
    fake.commit_files("acme/widgets", {"f": "1\n"}, "f", branch="topic")
    api = httpx.Client(
        base_url=f"{github_env.api_url}/repos/acme/widgets",
        headers={"Authorization": f"token {github_env.token()}"},
    )
    api.post("/pulls", json={"title": "T", "head": "topic", "base": "main"})
    api.post("/issues/1/comments", json={"body": "hello"})
    assert [(d.event, d.payload["action"]) for d in seen] == [
        ("pull_request", "opened"),
        ("issue_comment", "created"),
    ]
    for delivery in seen:
        assert _verify("topsecret", delivery)
        assert delivery.payload["installation"]["id"] == github_env.installation.id
        assert delivery.payload["repository"]["full_name"] == "acme/widgets"
        assert delivery.payload["sender"]["login"] == "codemonkey[bot]"
    assert seen[0].payload["pull_request"]["head"]["ref"] == "topic"
    assert seen[1].payload["comment"]["body"] == "hello"
    assert seen[0].delivery_id != seen[1].delivery_id
    assert json.loads(seen[1].body) == seen[1].payload
    redelivery = sign("issue_comment", seen[1].payload, "topsecret", seen[1].delivery_id)
    assert redelivery.headers["X-GitHub-Delivery"] == seen[1].delivery_id


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append((dict(self.headers), self.rfile.read(length)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Handler", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/github", received
    server.shutdown()
    server.server_close()


def test_webhooks_post_to_a_url(
    fake_github: FakeGitHub, receiver: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    url, received = receiver
    fake_github.create_repo("acme/site")
    fake_github.install("acme", ["acme/site"])
    fake_github.send_webhooks_to(url, "s")
    issue = fake_github.create_issue(
        "acme/site", "Bug", "broken", user="bob", labels=["bug"], emit=True
    )
    fake_github.add_comment("acme/site", issue.number, "@codemonkey /plan", user="bob")
    assert [d.status for d in fake_github.deliveries] == [202, 202]
    headers, body = received[1]
    assert headers["X-GitHub-Event"] == "issue_comment"
    payload = json.loads(body)
    assert payload["comment"]["body"] == "@codemonkey /plan"
    assert payload["issue"]["labels"][0]["name"] == "bug"
    schema = json.loads((SCHEMAS / "issue.schema.json").read_text())
    assert not list(Draft7Validator(schema).iter_errors(payload["issue"]))


def test_schema_check_is_not_vacuous() -> None:
    schema = json.loads((SCHEMAS / "issue-comment.schema.json").read_text())
    assert list(Draft7Validator(schema).iter_errors({"id": 1}))


def test_git_push_emits_push_and_synchronize(github_env: GitHubEnv, tmp_path: Path) -> None:
    from agents.git.remote import clone, push
    from agents.git.worktree import GitIdentity, commit_all, create_worktree

    fake = github_env.fake
    fake.commit_files("acme/widgets", {"a.txt": "a\n"}, "a", branch="topic")
    pr = fake.create_pull("acme/widgets", "topic", "main", "Topic", user="alice")
    seen: list[WebhookDelivery] = []
    fake.send_webhooks_to(seen.append, "s")
    token = github_env.token()
    repo_dir = tmp_path / "clone"
    clone(f"{fake.urls.web}/acme/widgets.git", repo_dir, token)
    work = create_worktree(repo_dir, tmp_path / "worktrees", "topic", base_ref="origin/topic")
    (work.path / "b.txt").write_text("b\n")
    (work.path / "a.txt").write_text("changed\n")
    sha = commit_all(work, "Add b", GitIdentity("Bot", "bot@example.com"))
    push(work.layout, "topic", token, url=f"{fake.urls.web}/acme/widgets.git")
    assert [(d.event, d.payload.get("action")) for d in seen] == [
        ("push", None),
        ("pull_request", "synchronize"),
    ]
    event = seen[0].payload
    assert (event["ref"], event["after"], event["created"]) == ("refs/heads/topic", sha, False)
    assert event["commits"][0]["added"] == ["b.txt"]
    assert event["commits"][0]["modified"] == ["a.txt"]
    assert event["head_commit"]["message"] == "Add b"
    assert seen[1].payload["number"] == pr.number and seen[1].payload["after"] == sha
    assert seen[1].payload["pull_request"]["head"]["sha"] == sha

    fake.commit_files("acme/widgets", {"docs/x.md": "x\n"}, "docs", emit_as="alice")
    assert seen[-1].event == "push" and seen[-1].payload["ref"] == "refs/heads/main"
    assert seen[-1].payload["sender"]["login"] == "alice"


def test_requests_without_user_agent_are_refused(github_env: GitHubEnv) -> None:
    response = httpx.get(
        f"{github_env.api_url}/repos/acme/widgets",
        headers={"Authorization": f"token {github_env.token()}", "User-Agent": ""},
    )
    assert response.status_code == 403
    assert "User-Agent" in response.json()["message"]


def test_blank_required_fields_are_422(github_env: GitHubEnv) -> None:
    api = httpx.Client(
        base_url=f"{github_env.api_url}/repos/acme/widgets",
        headers={"Authorization": f"token {github_env.token()}"},
    )
    assert api.post("/issues/1/comments", json={"body": "  "}).status_code == 422
    assert api.post("/issues/1/comments", json={}).status_code == 422
    assert api.post("/issues/1/comments", json={"body": 5}).status_code == 422
    assert api.post("/issues/1/comments", content=b"{not json").status_code == 400
    sha = github_env.fake.head_sha("acme/widgets", "main")
    assert api.post("/check-runs", json={"name": "", "head_sha": sha}).status_code == 422
    assert (
        api.post("/check-runs", json={"name": "x", "head_sha": sha, "status": "done"}).status_code
        == 422
    )
    assert (
        api.post(
            "/check-runs", json={"name": "x", "head_sha": sha, "status": "completed"}
        ).status_code
        == 422
    )
