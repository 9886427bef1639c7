"""The state of the fake GitHub, its seeding basics, faults, webhook delivery and git access.

Serve it with `tests.fakegithub.server.FakeGitHubServer`; the REST routes live in `api.py`,
git smart HTTP in `githttp.py`, webhook deliveries in `hooks.py`.
"""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakegithub.hooks import WebhookDelivery, WebhookTarget, deliver, sign
from tests.fakegithub.shapes import Urls
from tests.fakegithub.state import (
    PERMISSIONS,
    App,
    Fault,
    Installation,
    Issue,
    IssueComment,
    Label,
    Pull,
    RecordedRequest,
    Repo,
    TokenGrant,
    User,
)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Fake GitHub",
    "GIT_AUTHOR_EMAIL": "noreply@fake.github.test",
    "GIT_COMMITTER_NAME": "Fake GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@fake.github.test",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}
ACTIONS_BOT = "github-actions[bot]"


def generate_private_key() -> tuple[str, str]:
    """A fresh RSA key pair as (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class FakeGitHubCore:
    """A GitHub with one App, bare git repositories under `root`, and recorded traffic."""

    def __init__(
        self,
        root: Path,
        *,
        app_id: int = 4242,
        app_slug: str = "codemonkey",
        token_ttl_seconds: float = 3600.0,
        rate_limit: int = 5000,
    ) -> None:
        self.root = root
        self.lock = threading.RLock()
        self._ids = itertools.count(1001)
        self.token_ttl_seconds = token_ttl_seconds
        self.rate_limit = rate_limit
        self.rate_remaining = rate_limit
        self.rate_reset = int(time.time()) + 3600
        self.urls = Urls("http://127.0.0.1:0")
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, TokenGrant] = {}
        self.issues: dict[tuple[str, int], Issue] = {}
        self.pulls: dict[tuple[str, int], Pull] = {}
        self.comments: dict[int, IssueComment] = {}
        self.reviews: dict[int, Any] = {}
        self.review_comments: dict[int, Any] = {}
        self.check_runs: dict[int, Any] = {}
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[WebhookDelivery] = []
        self.faults: deque[Fault] = deque()
        self.webhook_target: WebhookTarget | None = None
        self.webhook_secret = ""
        # App manifest flow: code -> (manifest, expiry); every manifest posted, in order.
        self.manifest_codes: dict[str, tuple[dict[str, Any], float]] = {}
        self.manifest_posts: list[dict[str, Any]] = []
        private, public = generate_private_key()
        owner = self.user("codemonkey-org", "Organization")
        self.app = App(app_id, app_slug, "CodeMonkey", owner.login, public, private)
        self.app.bot = self.user(f"{app_slug}[bot]", "Bot")
        self.user(ACTIONS_BOT, "Bot")

    # ids and users

    def next_id(self) -> int:
        return next(self._ids)

    def user(self, login: str, type_: str = "User") -> User:
        """The user with this login, created on first use."""
        with self.lock:
            if login not in self.users:
                self.users[login] = User(login, self.next_id(), type_)
            return self.users[login]

    # seeding

    def create_repo(
        self,
        full_name: str,
        files: Mapping[str, str] | None = None,
        *,
        default_branch: str = "main",
        private: bool = True,
    ) -> Repo:
        """A repository backed by a bare git repo whose first commit holds `files`."""
        owner, _, name = full_name.partition("/")
        self.user(owner)
        path = self.root / owner / f"{name}.git"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.git(path, "init", "--bare", "--quiet", f"--initial-branch={default_branch}")
        self.git(path, "config", "http.receivepack", "true")
        repo = Repo(self.next_id(), owner, name, default_branch, private, path)
        with self.lock:
            self.repos[full_name] = repo
        self.commit_files(full_name, files or {"README.md": f"# {name}\n"}, "Initial commit")
        return repo

    def commit_files(
        self,
        full_name: str,
        files: Mapping[str, str],
        message: str,
        *,
        branch: str | None = None,
        base: str | None = None,
        emit_as: str | None = None,
        remove: Iterable[str] = (),
    ) -> str:
        """Commit `files` (and the removal of `remove`) on `branch` (default branch by
        default) as if someone pushed it.

        A new branch starts from `base` (default branch by default). With `emit_as` (a login),
        send the `push`/`synchronize` events a push would."""
        from tests.fakegithub.pushes import after_push, snapshot

        repo = self.repos[full_name]
        before = snapshot(self, full_name) if emit_as else {}
        branch = branch or repo.default_branch
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            parent = self.head_sha(full_name, f"refs/heads/{branch}") or self.head_sha(
                full_name, base or repo.default_branch
            )
            index = work / ".index"
            env = {"GIT_INDEX_FILE": str(index), "GIT_WORK_TREE": str(work / "tree")}
            (work / "tree").mkdir()
            if parent:
                self.git(repo.path, "read-tree", parent, env=env)
            for rel, text in files.items():
                target = work / "tree" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                self.git(repo.path, "add", "--", rel, env=env, cwd=work / "tree")
            for rel in remove:
                self.git(repo.path, "rm", "--cached", "-q", "--", rel, env=env, cwd=work / "tree")
            tree = self.git(repo.path, "write-tree", env=env).strip()
            args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
            sha = self.git(repo.path, *args).strip()
            self.git(repo.path, "update-ref", f"refs/heads/{branch}", sha)
        if emit_as:
            self.user(emit_as)
            after_push(self, full_name, emit_as, before)
        return sha

    def create_fork(self, full_name: str, owner: str) -> Repo:
        """`owner`'s fork of `full_name`: its own bare repository holding every branch of
        the parent, as `POST /repos/{owner}/{repo}/forks` makes it."""
        parent = self.repos[full_name]
        self.user(owner)
        path = self.root / owner / f"{parent.name}.git"
        path.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["git", "clone", "--bare", "--quiet", str(parent.path), str(path)],
            env={**os.environ, **GIT_ENV},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"forking {full_name} failed: {done.stderr.strip()}")
        self.git(path, "config", "http.receivepack", "true")
        fork = Repo(
            self.next_id(),
            owner,
            parent.name,
            parent.default_branch,
            parent.private,
            path,
            parent=full_name,
        )
        with self.lock:
            self.repos[fork.full_name] = fork
        return fork

    def pull_head_sha(self, pr: Pull) -> str | None:
        """The commit a pull request's head branch (in its fork, for a fork PR) points at."""
        return self.head_sha(pr.head_full_name, f"refs/heads/{pr.head}")

    def sync_pull_ref(self, pr: Pull) -> None:
        """Point the base repository's `refs/pull/N/head` at the PR's head, fetching the
        commits from the fork when the head is there (GitHub keeps this ref for every PR)."""
        base = self.repos[pr.repo]
        if pr.head_repo is None:
            sha = self.pull_head_sha(pr)
            if sha is not None:
                self.git(base.path, "update-ref", pr.pull_ref, sha)
            return
        source = self.repos[pr.head_repo].path
        self.git(base.path, "fetch", "--quiet", str(source), f"+refs/heads/{pr.head}:{pr.pull_ref}")

    def sync_pull_refs(self, full_name: str) -> None:
        for pr in [p for p in self.pulls.values() if p.repo == full_name]:
            self.sync_pull_ref(pr)

    def install(self, account: str, repos: Iterable[str]) -> Installation:
        with self.lock:
            inst = Installation(self.next_id(), account, set(repos))
            self.user(account)
            self.installations[inst.id] = inst
            return inst

    def set_permission(self, full_name: str, login: str, permission: str) -> None:
        """Make `login` a collaborator ("admin", "maintain", "write", "triage" or "read")."""
        if permission not in PERMISSIONS:
            raise ValueError(f"permission must be one of {PERMISSIONS}")
        with self.lock:
            self.user(login)
            self.repos[full_name].collaborators[login] = permission

    def create_label(self, full_name: str, name: str, color: str = "ededed") -> Label:
        with self.lock:
            labels = self.repos[full_name].labels
            if name not in labels:
                labels[name] = Label(self.next_id(), name, color)
            return labels[name]

    def next_number_counter(self, full_name: str) -> int:
        taken = [n for (repo, n) in self.issues if repo == full_name]
        return max(taken, default=0) + 1

    def issue_installation_token(self, installation_id: int, ttl: float | None = None) -> str:
        """A token as `POST /app/installations/{id}/access_tokens` would mint it."""
        with self.lock:
            inst = self.installations[installation_id]
            token = "ghs_" + secrets.token_urlsafe(27)
            expires = time.time() + (self.token_ttl_seconds if ttl is None else ttl)
            self.tokens[token] = TokenGrant(inst.id, set(inst.repos), self.app.bot.login, expires)
            return token

    def issue_action_token(self, full_name: str) -> str:
        """A workflow `GITHUB_TOKEN` for one repository, acting as github-actions[bot]."""
        with self.lock:
            token = "ghs_" + secrets.token_urlsafe(27)
            self.tokens[token] = TokenGrant(None, {full_name}, ACTIONS_BOT, time.time() + 3600)
            return token

    # faults and webhooks

    def inject_faults(
        self,
        count: int,
        *,
        status: int = 502,
        retry_after: int | None = None,
        primary_rate_limit: bool = False,
        path_prefix: str = "",
    ) -> None:
        """Fail the next `count` API calls (under `path_prefix`) as GitHub would.

        `primary_rate_limit` answers 403 with `x-ratelimit-remaining: 0` and a reset one
        second ahead; `retry_after` adds the header used for secondary rate limits.
        """
        headers: dict[str, str] = {}
        body: dict[str, Any] = {"message": "Server Error"}
        if primary_rate_limit:
            status = 403
            headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 1)}
            body = {"message": "API rate limit exceeded for installation ID 1."}
        elif status in (403, 429):
            body = {
                "message": "You have exceeded a secondary rate limit. Please wait a few "
                "minutes before you try again."
            }
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
        body["documentation_url"] = "https://docs.github.com/rest"
        with self.lock:
            self.faults.extend(Fault(status, headers, body, path_prefix) for _ in range(count))

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in list(self.faults):
                if path.startswith(fault.path_prefix):
                    self.faults.remove(fault)
                    return fault
            return None

    def send_webhooks_to(self, target: WebhookTarget | None, secret: str) -> None:
        """Deliver events to a URL (POSTed) or a callable taking a `WebhookDelivery`."""
        self.webhook_target = target
        self.webhook_secret = secret

    def emit(
        self, event: str, action: str | None, full_name: str, sender: str, **objects: Any
    ) -> WebhookDelivery | None:
        """Build, sign and deliver one event; returns it (None when no target is set)."""
        from tests.fakegithub.payloads import build_payload

        with self.lock:
            payload = build_payload(self, event, action, full_name, sender, **objects)
        return self.deliver(event, payload)

    def deliver(self, event: str, payload: dict[str, Any]) -> WebhookDelivery | None:
        if self.webhook_target is None:
            return None
        delivery = sign(event, payload, self.webhook_secret)
        deliver(delivery, self.webhook_target)
        with self.lock:
            self.deliveries.append(delivery)
        return delivery

    # git inspection

    def git(
        self,
        git_dir: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> str:
        full_env = {**os.environ, **GIT_ENV, "GIT_DIR": str(git_dir), **(env or {})}
        done = subprocess.run(
            ["git", *args], env=full_env, cwd=cwd, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def head_sha(self, full_name: str, ref: str) -> str | None:
        """The commit a branch (or sha) points at, or None."""
        repo = self.repos[full_name]
        try:
            return (
                self.git(repo.path, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
                or None
            )
        except RuntimeError:
            return None

    def read_blob(self, full_name: str, ref: str, path: str) -> tuple[bytes, str] | None:
        """(content, blob sha) of a file at a ref, or None."""
        repo = self.repos[full_name]
        try:
            sha = self.git(repo.path, "rev-parse", "--verify", "--quiet", f"{ref}:{path}").strip()
        except RuntimeError:
            return None
        if self.git(repo.path, "cat-file", "-t", sha).strip() != "blob":
            return None
        done = subprocess.run(
            ["git", "--git-dir", str(repo.path), "cat-file", "blob", sha],
            capture_output=True,
            check=True,
        )
        return done.stdout, sha

    def branches(self, full_name: str) -> list[str]:
        out = self.git(
            self.repos[full_name].path, "for-each-ref", "--format=%(refname:short)", "refs/heads"
        )
        return out.split()

    def suite_branch(self, full_name: str, sha: str) -> str | None:
        """The branch a check suite for `sha` belongs to: one of the repository's branches
        pointing at it (a topic branch before the default one), else None."""
        out = self.git(
            self.repos[full_name].path,
            "for-each-ref",
            "--format=%(refname:short)",
            "--points-at",
            sha,
            "refs/heads",
        )
        found = out.split()
        default = self.repos[full_name].default_branch
        return next((b for b in found if b != default), found[0] if found else None)
