"""What GitHub sends after a git push: a `push` event per ref and `synchronize` for open PRs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakegithub.state import iso

if TYPE_CHECKING:
    from tests.fakegithub.core import FakeGitHubCore

ZERO = "0" * 40


def snapshot(fake: FakeGitHubCore, full_name: str) -> dict[str, str]:
    out = fake.git(fake.repos[full_name].path, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def _commits(fake: FakeGitHubCore, full_name: str, before: str, after: str) -> list[dict[str, Any]]:
    if after == ZERO:
        return []
    span = after if before == ZERO else f"{before}..{after}"
    path = fake.repos[full_name].path
    fmt = "%H%x1f%T%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%ct%x1f%B%x1e"
    log = fake.git(path, "log", "--reverse", f"--format={fmt}", span)
    commits = []
    for record in filter(None, (r.strip("\n") for r in log.split("\x1e"))):
        sha, tree, an, ae, cn, ce, ct, message = record.split("\x1f")
        changes: dict[str, list[str]] = {"added": [], "removed": [], "modified": []}
        status = fake.git(path, "diff-tree", "--no-commit-id", "--name-status", "-r", "--root", sha)
        for line in status.splitlines():
            kind, _, name = line.partition("\t")
            key = {"A": "added", "D": "removed"}.get(kind[:1], "modified")
            changes[key].append(name.split("\t")[-1])
        commits.append(
            {
                "id": sha,
                "tree_id": tree,
                "distinct": True,
                "message": message.strip(),
                "timestamp": iso(float(ct)),
                "url": f"{fake.urls.web}/{full_name}/commit/{sha}",
                "author": {"name": an, "email": ae, "username": an},
                "committer": {"name": cn, "email": ce, "username": cn},
                **changes,
            }
        )
    return commits


def after_push(fake: FakeGitHubCore, full_name: str, actor: str, before: dict[str, str]) -> None:
    """Emit events for every ref a push changed (call without holding the lock)."""
    after = snapshot(fake, full_name)
    for ref in sorted(set(before) | set(after)):
        old, new = before.get(ref, ZERO), after.get(ref, ZERO)
        if old == new:
            continue
        commits = _commits(fake, full_name, old, new)
        fake.emit(
            "push",
            None,
            full_name,
            actor,
            ref=ref,
            before=old,
            after=new,
            created=old == ZERO,
            deleted=new == ZERO,
            forced=False,
            base_ref=None,
            compare=f"{fake.urls.web}/{full_name}/compare/{old[:12]}...{new[:12]}",
            commits=commits,
            head_commit=commits[-1] if commits else None,
            pusher={"name": actor, "email": f"{actor}@users.noreply.github.com"},
        )
        if not ref.startswith("refs/heads/") or new == ZERO:
            continue
        branch = ref.removeprefix("refs/heads/")
        for pr in list(fake.pulls.values()):
            issue = fake.issues[(pr.repo, pr.number)]
            if pr.head_full_name == full_name and pr.head == branch and issue.state == "open":
                # A push to a fork's PR branch is announced on the base repository.
                fake.sync_pull_ref(pr)
                fake.emit(
                    "pull_request", "synchronize", pr.repo, actor, pull=pr, before=old, after=new
                )
