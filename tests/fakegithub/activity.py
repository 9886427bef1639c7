"""What people (not the bot) do on GitHub, each optionally announced by its webhook.

Mixed into `FakeGitHub`; every method takes the acting `user` and `emit` (send the event to
the configured webhook target, as GitHub would).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from tests.fakegithub import shapes
from tests.fakegithub.core import FakeGitHubCore
from tests.fakegithub.state import CheckRun, Issue, IssueComment, Pull, Review, ReviewComment


class HumanActivity(FakeGitHubCore):
    def create_issue(
        self,
        full_name: str,
        title: str,
        body: str | None = "",
        *,
        user: str = "octocat",
        labels: Iterable[str] = (),
        emit: bool = False,
    ) -> Issue:
        """Open an issue as `user`; with `emit`, send `issues.opened`."""
        with self.lock:
            self.user(user)
            for name in labels:
                self.create_label(full_name, name)
            issue = Issue(
                self.next_id(),
                full_name,
                self.next_number_counter(full_name),
                title,
                body,
                user,
                list(labels),
            )
            self.issues[(full_name, issue.number)] = issue
        if emit:
            self.emit("issues", "opened", full_name, user, issue=issue)
        return issue

    def add_comment(
        self,
        full_name: str,
        number: int,
        body: str,
        *,
        user: str = "octocat",
        emit: bool = True,
    ) -> IssueComment:
        """Comment on an issue or PR as `user`; by default sends `issue_comment.created`."""
        with self.lock:
            self.user(user)
            if (full_name, number) not in self.issues:
                raise KeyError(f"{full_name}#{number} does not exist")
            comment = IssueComment(self.next_id(), full_name, number, body, user)
            self.comments[comment.id] = comment
        if emit:
            self.emit("issue_comment", "created", full_name, user, comment=comment)
        return comment

    def create_pull(
        self,
        full_name: str,
        head: str,
        base: str,
        title: str,
        body: str = "",
        *,
        user: str = "octocat",
        draft: bool = False,
        emit: bool = False,
        head_repo: str | None = None,
        maintainer_can_modify: bool = False,
    ) -> Pull:
        """Open a PR as `user` from an existing branch (of the fork `head_repo`, if given)."""
        if head_repo is not None and self.repos[head_repo].parent != full_name:
            raise ValueError(f"{head_repo} is not a fork of {full_name}")
        issue = self.create_issue(full_name, title, body, user=user)
        with self.lock:
            issue.is_pull = True
            pr = Pull(
                issue.id,
                full_name,
                issue.number,
                head,
                base,
                draft,
                shapes.node_id("PullRequest", issue.id),
                head_repo=head_repo,
                maintainer_can_modify=maintainer_can_modify,
            )
            self.pulls[(full_name, issue.number)] = pr
            self.sync_pull_ref(pr)
        if emit:
            self.emit("pull_request", "opened", full_name, user, pull=pr)
        return pr

    def label_issue(
        self,
        full_name: str,
        number: int,
        label: str,
        *,
        user: str = "octocat",
        emit: bool = True,
    ) -> None:
        """Add a label; sends `issues.labeled` (or `pull_request.labeled` on a PR)."""
        with self.lock:
            self.user(user)
            issue = self.issues[(full_name, number)]
            made = self.create_label(full_name, label)
            if label not in issue.labels:
                issue.labels.append(label)
            issue.updated_at = time.time()
        if emit:
            self._emit_issue_change("labeled", issue, user, label=made)

    def assign_issue(
        self,
        full_name: str,
        number: int,
        assignee: str,
        *,
        user: str = "octocat",
        emit: bool = True,
    ) -> None:
        """Assign someone (e.g. "codemonkey[bot]"); sends `issues.assigned`."""
        with self.lock:
            self.user(user)
            self.user(assignee, "Bot" if assignee.endswith("[bot]") else "User")
            issue = self.issues[(full_name, number)]
            if assignee not in issue.assignees:
                issue.assignees.append(assignee)
        if emit:
            self._emit_issue_change("assigned", issue, user, assignee=assignee)

    def _emit_issue_change(self, action: str, issue: Issue, user: str, **extra: object) -> None:
        pull = self.pulls.get((issue.repo, issue.number))
        if pull is not None:
            self.emit("pull_request", action, issue.repo, user, pull=pull, **extra)
        else:
            self.emit("issues", action, issue.repo, user, issue=issue, **extra)

    def submit_review(
        self,
        full_name: str,
        number: int,
        *,
        user: str,
        state: str = "CHANGES_REQUESTED",
        body: str = "",
        comments: Sequence[tuple[str, int, str]] = (),
        emit: bool = True,
    ) -> Review:
        """A person's review (APPROVED, CHANGES_REQUESTED or COMMENTED) with inline
        `(path, line, body)` comments; sends `pull_request_review.submitted`."""
        if state not in ("APPROVED", "CHANGES_REQUESTED", "COMMENTED"):
            raise ValueError("state must be APPROVED, CHANGES_REQUESTED or COMMENTED")
        with self.lock:
            self.user(user)
            pr = self.pulls[(full_name, number)]
            sha = self.pull_head_sha(pr) or ""
            review = Review(self.next_id(), full_name, number, user, body, state, sha)
            self.reviews[review.id] = review
            for path, line, text in comments:
                made = ReviewComment(
                    self.next_id(),
                    full_name,
                    number,
                    review.id,
                    path,
                    line,
                    "RIGHT",
                    text,
                    sha,
                    user,
                )
                self.review_comments[made.id] = made
        if emit:
            self.emit("pull_request_review", "submitted", full_name, user, review=review)
        return review

    def add_review_comment(
        self,
        full_name: str,
        number: int,
        path: str,
        line: int,
        body: str,
        *,
        user: str,
        in_reply_to: int | None = None,
        emit: bool = True,
    ) -> ReviewComment:
        """An inline comment (or a reply); sends `pull_request_review_comment.created`."""
        with self.lock:
            self.user(user)
            pr = self.pulls[(full_name, number)]
            sha = self.pull_head_sha(pr) or ""
            made = ReviewComment(
                self.next_id(),
                full_name,
                number,
                None,
                path,
                line,
                "RIGHT",
                body,
                sha,
                user,
                in_reply_to,
            )
            self.review_comments[made.id] = made
        if emit:
            self.emit(
                "pull_request_review_comment", "created", full_name, user, review_comment=made
            )
        return made

    def complete_check_run(
        self,
        full_name: str,
        head_sha: str,
        name: str,
        conclusion: str = "failure",
        *,
        summary: str = "",
        text: str = "",
        emit: bool = True,
    ) -> CheckRun:
        """A finished check run from another CI app (the CI a push to `head_sha`'s branch
        started); sends `check_run.completed`."""
        with self.lock:
            run = CheckRun(
                self.next_id(),
                full_name,
                name,
                head_sha,
                "completed",
                conclusion,
                None,
                output={"title": name, "summary": summary, "text": text},
                completed_at=time.time(),
                head_branch=self.suite_branch(full_name, head_sha),
            )
            self.check_runs[run.id] = run
        if emit:
            self.emit("check_run", "completed", full_name, "github-actions[bot]", check_run=run)
        return run
