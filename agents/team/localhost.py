"""`LocalHost`: the `GitHost` of local mode. It records what would be posted and reports it.

There is no GitHub: comments, pull requests, reviews and check runs become records (and
progress events), the issue is the user's request, and the result is a local branch.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from agents.githost import (
    CheckConclusion,
    CheckRunOutput,
    Comment,
    Permission,
    PullRequestRef,
    RepoRef,
    ReviewComment,
)


@dataclass(frozen=True)
class HostRecord:
    action: str
    number: int | None
    text: str
    details: dict[str, Any] = field(default_factory=dict)


class LocalHost:
    def __init__(
        self,
        *,
        issue_body: str,
        default_branch: str,
        on_record: Callable[[HostRecord], None] | None = None,
    ) -> None:
        self._bodies: dict[int, str] = {}
        self._issue_body = issue_body
        self._default_branch = default_branch
        self._on_record = on_record
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pulls: dict[str, PullRequestRef] = {}
        self.records: list[HostRecord] = []

    def _record(self, action: str, number: int | None, text: str, **details: Any) -> int:
        with self._lock:
            record_id = next(self._ids)
            record = HostRecord(action, number, text, {"id": record_id, **details})
            self.records.append(record)
        if self._on_record is not None:
            self._on_record(record)
        return record_id

    def default_branch(self, repo: RepoRef) -> str:
        return self._default_branch

    def permission(self, repo: RepoRef, username: str) -> Permission:
        return "admin"

    def read_file(self, repo: RepoRef, path: str, ref: str) -> str | None:
        return None

    def comment(self, repo: RepoRef, number: int, body: str) -> Comment:
        comment_id = self._record("comment", number, body)
        return Comment(comment_id, f"local://comment/{comment_id}")

    def update_comment(self, repo: RepoRef, comment_id: int, body: str) -> None:
        self._record("update_comment", None, body, comment_id=comment_id)

    def react(self, repo: RepoRef, comment_id: int, content: str) -> None:
        self._record("react", None, content, comment_id=comment_id)

    def reply_to_review_comment(
        self, repo: RepoRef, number: int, comment_id: int, body: str
    ) -> Comment:
        reply_id = self._record("reply", number, body, comment_id=comment_id)
        return Comment(reply_id, f"local://comment/{reply_id}")

    def add_labels(self, repo: RepoRef, number: int, labels: list[str]) -> None:
        self._record("labels", number, ", ".join(labels))

    def issue_body(self, repo: RepoRef, number: int) -> str:
        with self._lock:
            return self._bodies.get(number, self._issue_body)

    def update_issue_body(self, repo: RepoRef, number: int, body: str) -> None:
        with self._lock:
            self._bodies[number] = body
        self._record("issue_body", number, body)

    def open_pull_request(
        self, repo: RepoRef, *, head: str, base: str, title: str, body: str, draft: bool
    ) -> PullRequestRef:
        with self._lock:
            existing = self._pulls.get(head)
        if existing is not None:
            return existing
        number = self._record("pull_request", None, f"{title}\n\n{body}", head=head, base=base)
        pr = PullRequestRef(number, f"local://branch/{head}", head, base, draft)
        with self._lock:
            self._pulls[head] = pr
        return pr

    def update_pull_request(
        self,
        repo: RepoRef,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        ready_for_review: bool | None = None,
    ) -> None:
        self._record("update_pull_request", number, body or title or "", ready=ready_for_review)

    def pull_request(self, repo: RepoRef, number: int) -> PullRequestRef:
        with self._lock:
            for pr in self._pulls.values():
                if pr.number == number:
                    return pr
        raise LookupError(f"no local pull request #{number}")

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
        inline = [f"{c.path}:{c.line}: {c.body}" for c in comments]
        return self._record("review", number, "\n".join([body, *inline]), event=event)

    def create_check_run(
        self,
        repo: RepoRef,
        *,
        name: str,
        head_sha: str,
        status: Literal["queued", "in_progress", "completed"],
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> int:
        text = "" if output is None else f"{output.title}: {output.summary}"
        return self._record("check_run", None, text, name=name, conclusion=conclusion)

    def update_check_run(
        self,
        repo: RepoRef,
        check_run_id: int,
        *,
        status: Literal["queued", "in_progress", "completed"],
        conclusion: CheckConclusion | None = None,
        output: CheckRunOutput | None = None,
    ) -> None:
        self._record("check_run", None, "" if output is None else output.summary, id=check_run_id)

    def clone_url(self, repo: RepoRef) -> str:
        return f"file://{repo.full_name}"

    def git_token(self, repo: RepoRef) -> str:
        raise PermissionError("local mode has no git token; branches stay in the local repository")
