"""Figures for the GitHub client against the local fake: REST call latency and git round trip.

python -m tests.bench.github_fake
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from agents.git.remote import clone, push
from agents.git.worktree import GitIdentity, commit_all, create_worktree
from agents.githost import RepoRef
from bot.github.app_auth import AppCredentials, InstallationTokens
from bot.github.host import GitHubHost
from bot.github.retry import RetryPolicy
from bot.github.types import MemoryTokenCache
from tests.fakegithub.fake import FakeGitHub
from tests.fakegithub.server import FakeGitHubServer

CALLS = 200


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fake = FakeGitHub(root / "gh")
        with FakeGitHubServer(fake) as server:
            fake.create_repo("acme/bench", {"README.md": "# bench\n"})
            inst = fake.install("acme", ["acme/bench"])
            issue = fake.create_issue("acme/bench", "Bench", "body")
            tokens = InstallationTokens(
                AppCredentials(fake.app.id, fake.app.private_key_pem),
                api_url=server.api_url,
                cache=MemoryTokenCache(),
            )
            started = time.perf_counter()
            tokens.token(inst.id)
            mint_ms = (time.perf_counter() - started) * 1000
            policy = RetryPolicy(seconds_between_requests=None, seconds_between_writes=None)
            host = GitHubHost.for_installation(
                tokens, inst.id, api_url=server.api_url, policy=policy
            )
            repo = RepoRef("acme", "bench")
            reads, writes = [], []
            for i in range(CALLS):
                t0 = time.perf_counter()
                host.issue_body(repo, issue.number)
                t1 = time.perf_counter()
                host.comment(repo, issue.number, f"comment {i}")
                t2 = time.perf_counter()
                reads.append((t1 - t0) * 1000)
                writes.append((t2 - t1) * 1000)
            t0 = time.perf_counter()
            clone(host.clone_url(repo), root / "clone", host.git_token(repo))
            t1 = time.perf_counter()
            work = create_worktree(
                root / "clone", root / "worktrees", "bench", base_ref="origin/main"
            )
            (work.path / "x.txt").write_text("x\n")
            commit_all(work, "x", GitIdentity("Bench", "bench@example.com"))
            t2 = time.perf_counter()
            push(work.layout, "bench", host.git_token(repo), url=host.clone_url(repo))
            t3 = time.perf_counter()
    print(f"installation token mint (JWT sign + POST): {mint_ms:.1f} ms")
    for name, samples in (("GET issue", reads), ("POST comment", writes)):
        p95 = statistics.quantiles(samples, n=20)[18]
        print(
            f"{name}: median {statistics.median(samples):.2f} ms, p95 {p95:.2f} ms "
            f"over {CALLS} calls"
        )
    print(
        f"git clone {1000 * (t1 - t0):.0f} ms, worktree+commit {1000 * (t2 - t1):.0f} ms, "
        f"push {1000 * (t3 - t2):.0f} ms"
    )


if __name__ == "__main__":
    main()
