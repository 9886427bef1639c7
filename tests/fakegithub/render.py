"""Turns the fake's state objects into response bodies, resolving users, labels and shas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.fakegithub import shapes, shapes_prs
from tests.fakegithub.state import CheckRun, Issue, IssueComment, Pull, Repo, Review, ReviewComment

if TYPE_CHECKING:
    from tests.fakegithub.core import FakeGitHubCore

JSON = shapes.JSON


class Renderer:
    def __init__(self, fake: FakeGitHubCore) -> None:
        self.fake = fake
        self.urls = fake.urls

    def repo(self, repo: Repo, *, full: bool = True) -> JSON:
        return shapes.repository(self.urls, repo, self.fake.user(repo.owner), full=full)

    def labels(self, full_name: str, names: list[str]) -> list[JSON]:
        labels = self.fake.repos[full_name].labels
        return [shapes.label(self.urls, full_name, labels[n]) for n in names]

    def issue(self, issue: Issue) -> JSON:
        count = sum(
            1
            for c in self.fake.comments.values()
            if c.repo == issue.repo and c.number == issue.number
        )
        return shapes.issue(
            self.urls,
            issue,
            self.fake.user(issue.user),
            self.labels(issue.repo, issue.labels),
            count,
            [self.fake.user(a) for a in issue.assignees],
        )

    def comment(self, comment: IssueComment) -> JSON:
        return shapes.issue_comment(self.urls, comment, self.fake.user(comment.user))

    def pull(self, pr: Pull) -> JSON:
        issue = self.fake.issues[(pr.repo, pr.number)]
        repo = self.fake.repos[pr.repo]
        comments = sum(
            1 for c in self.fake.comments.values() if c.repo == pr.repo and c.number == pr.number
        )
        review_comments = sum(
            1
            for c in self.fake.review_comments.values()
            if c.repo == pr.repo and c.number == pr.number
        )
        return shapes_prs.pull_request(
            self.urls,
            pr,
            issue,
            author=self.fake.user(issue.user),
            owner=self.fake.user(repo.owner),
            repo_json=self.repo(repo, full=False),
            head_owner=self.fake.user(self.fake.repos[pr.head_full_name].owner),
            head_repo_json=self.repo(self.fake.repos[pr.head_full_name], full=False),
            head_sha=self.fake.pull_head_sha(pr) or "0" * 40,
            base_sha=self.fake.head_sha(pr.repo, pr.base) or "0" * 40,
            labels=self.labels(pr.repo, issue.labels),
            comments=comments,
            review_comments=review_comments,
        )

    def review(self, review: Review) -> JSON:
        return shapes_prs.review(self.urls, review, self.fake.user(review.user))

    def review_comment(self, comment: ReviewComment) -> JSON:
        return shapes_prs.review_comment(self.urls, comment, self.fake.user(comment.user))

    def _check_app(self, run: CheckRun) -> JSON | None:
        if run.app_id != self.fake.app.id:
            return None
        return shapes.app_json(self.urls, self.fake.app, self.fake.user(self.fake.app.owner))

    def check_pulls(self, run: CheckRun) -> list[JSON]:
        """The open pull requests of the run's repository whose head is the suite's branch.

        GitHub matches a pull request to a check suite by its head branch and sha; for a
        suite whose branch is a fork's (`head_branch` null here) the list is empty.
        """
        if run.head_branch is None:
            return []
        found = []
        for pr in self.fake.pulls.values():
            issue = self.fake.issues[(pr.repo, pr.number)]
            if (
                pr.repo != run.repo
                or pr.head_repo is not None
                or pr.head != run.head_branch
                or issue.state != "open"
            ):
                continue
            found.append(
                shapes_prs.pull_minimal(
                    self.urls,
                    pr,
                    self.fake.repos[pr.repo],
                    self.fake.pull_head_sha(pr) or run.head_sha,
                    self.fake.head_sha(pr.repo, pr.base) or "0" * 40,
                )
            )
        return found

    def check_run(self, run: CheckRun) -> JSON:
        """The check run as the REST API answers it."""
        return shapes_prs.check_run(self.urls, run, self._check_app(run), self.check_pulls(run))

    def check_run_event(self, run: CheckRun) -> JSON:
        """The check run as a `check_run` webhook carries it, with its check suite."""
        app, pulls = self._check_app(run), self.check_pulls(run)
        before = self.fake.head_sha(run.repo, f"{run.head_sha}^")
        suite = shapes_prs.check_suite(self.urls, run, app, pulls, before)
        data = shapes_prs.check_run(self.urls, run, app, pulls, suite)
        # The webhook's fields are never null: GitHub fills an unset external_id with ""
        # and an unset details_url with the app's homepage (the run's page for a foreign CI).
        data["external_id"] = run.external_id or ""
        data["details_url"] = run.details_url or (app or {}).get("external_url") or data["html_url"]
        return data
