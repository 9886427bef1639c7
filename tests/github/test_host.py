"""Every `GitHost` method of `GitHubHost`, through real HTTP against the fake GitHub."""

from __future__ import annotations

import pytest

from agents.githost import (
    Annotation,
    CheckRunOutput,
    GitHost,
    GitHostAuthError,
    GitHostError,
    GitHostNotFound,
    RepoRef,
    ReviewComment,
)
from bot.github.host import GitHubHost
from tests.fakegithub.fixtures import GitHubEnv
from tests.github.conftest import FAST

REPO = RepoRef("acme", "widgets")


def _new_branch(env: GitHubEnv, name: str) -> None:
    fake = env.fake
    main = fake.head_sha("acme/widgets", "main")
    assert main is not None
    fake.git(fake.repos["acme/widgets"].path, "update-ref", f"refs/heads/{name}", main)
    fake.commit_files(
        "acme/widgets",
        {"src/app.py": "def main() -> None:\n    print('hello')\n"},
        "Greet",
        branch=name,
    )


def test_satisfies_the_githost_contract(host: GitHubHost) -> None:
    contract: GitHost = host  # mypy checks every method signature against the protocol
    assert contract.default_branch(REPO) == "main"


def test_default_branch_and_clone_url(host: GitHubHost, github_env: GitHubEnv) -> None:
    assert host.default_branch(REPO) == "main"
    assert host.clone_url(REPO) == f"{github_env.fake.urls.web}/acme/widgets.git"
    assert host.git_token(REPO) in github_env.fake.tokens


def test_permission_levels(host: GitHubHost, github_env: GitHubEnv) -> None:
    github_env.fake.set_permission("acme/widgets", "mia", "maintain")
    github_env.fake.set_permission("acme/widgets", "tia", "triage")
    github_env.fake.user("stranger")
    assert host.permission(REPO, "alice") == "write"
    assert host.permission(REPO, "mallory") == "read"
    assert host.permission(REPO, "mia") == "maintain"
    assert host.permission(REPO, "tia") == "triage"
    assert host.permission(REPO, "acme") == "admin"
    assert host.permission(REPO, "stranger") == "none"
    assert host.permission(REPO, "ghost-who-does-not-exist") == "none"
    assert host.permission(REPO, "../../alice") == "none"


def test_read_file(host: GitHubHost, github_env: GitHubEnv) -> None:
    assert host.read_file(REPO, "src/app.py", "main") == ("def main() -> None:\n    print('hi')\n")
    assert host.read_file(REPO, "missing.txt", "main") is None
    assert host.read_file(REPO, "src", "main") is None
    assert host.read_file(REPO, "README.md", "no-such-branch") is None


def test_comments_reactions_and_labels(host: GitHubHost, github_env: GitHubEnv) -> None:
    number = github_env.issue.number
    made = host.comment(REPO, number, "On it.")
    stored = github_env.fake.comments[made.id]
    assert stored.body == "On it." and stored.user == "codemonkey[bot]"
    assert made.url.endswith(f"#issuecomment-{made.id}")
    host.update_comment(REPO, made.id, "Done.")
    assert stored.body == "Done."
    host.react(REPO, made.id, "eyes")
    host.react(REPO, made.id, "eyes")  # GitHub answers 200 with the existing reaction
    assert [r.content for r in stored.reactions] == ["eyes"]
    with pytest.raises(GitHostError, match="422"):
        host.react(REPO, made.id, "thumbsup")
    host.add_labels(REPO, number, ["codemonkey", "planned"])
    host.add_labels(REPO, number, ["planned"])
    assert github_env.fake.issues[("acme/widgets", number)].labels == ["codemonkey", "planned"]


def test_issue_body_round_trip(host: GitHubHost, github_env: GitHubEnv) -> None:
    number = github_env.issue.number
    assert host.issue_body(REPO, number) == "Please add a greeting."
    host.update_issue_body(REPO, number, "- [x] plan\n- [ ] code")
    assert host.issue_body(REPO, number) == "- [x] plan\n- [ ] code"
    empty = github_env.fake.create_issue("acme/widgets", "No body", None)
    assert host.issue_body(REPO, empty.number) == ""
    with pytest.raises(GitHostNotFound):
        host.issue_body(REPO, 999)


def test_pull_request_lifecycle(host: GitHubHost, github_env: GitHubEnv) -> None:
    _new_branch(github_env, "codemonkey/1-greeting")
    pr = host.open_pull_request(
        REPO,
        head="codemonkey/1-greeting",
        base="main",
        title="Greeting",
        body="Closes #1",
        draft=True,
    )
    assert (pr.head, pr.base, pr.draft) == ("codemonkey/1-greeting", "main", True)
    again = host.open_pull_request(
        REPO,
        head="codemonkey/1-greeting",
        base="main",
        title="Greeting",
        body="",
        draft=True,
    )
    assert again == pr
    assert (
        sum(1 for r in github_env.fake.requests if r.method == "POST" and r.path.endswith("/pulls"))
        == 2
    )
    host.update_pull_request(REPO, pr.number, title="Add a greeting", body="Closes #1 fully")
    issue = github_env.fake.issues[("acme/widgets", pr.number)]
    assert (issue.title, issue.body) == ("Add a greeting", "Closes #1 fully")
    host.update_pull_request(REPO, pr.number, ready_for_review=True)
    assert host.pull_request(REPO, pr.number).draft is False
    host.update_pull_request(REPO, pr.number, ready_for_review=False)
    assert host.pull_request(REPO, pr.number).draft is True
    with pytest.raises(GitHostError, match="422"):
        host.open_pull_request(
            REPO, head="no-such-branch", base="main", title="x", body="", draft=False
        )
    with pytest.raises(GitHostNotFound):
        host.pull_request(REPO, 404)


def test_review_with_inline_comments_and_reply(host: GitHubHost, github_env: GitHubEnv) -> None:
    _new_branch(github_env, "feature")
    pr = github_env.fake.create_pull("acme/widgets", "feature", "main", "Feature", user="alice")
    sha = github_env.fake.head_sha("acme/widgets", "feature")
    assert sha is not None
    review_id = host.create_review(
        REPO,
        pr.number,
        commit_sha=sha,
        body="Two notes.",
        event="REQUEST_CHANGES",
        comments=[
            ReviewComment("src/app.py", 2, "```suggestion\n    print('hello, world')\n```"),
            ReviewComment("src/app.py", 1, "Add a docstring."),
        ],
    )
    review = github_env.fake.reviews[review_id]
    assert (review.state, review.commit_id, review.user) == (
        "CHANGES_REQUESTED",
        sha,
        "codemonkey[bot]",
    )
    inline = sorted(c.line for c in github_env.fake.review_comments.values())
    assert inline == [1, 2]
    first = next(iter(github_env.fake.review_comments.values()))
    reply = host.reply_to_review_comment(REPO, pr.number, first.id, "Fixed in the next commit.")
    stored = github_env.fake.review_comments[reply.id]
    assert stored.in_reply_to_id == first.id and stored.body == "Fixed in the next commit."
    with pytest.raises(GitHostError, match="Line could not be resolved"):
        host.create_review(
            REPO,
            pr.number,
            commit_sha=sha,
            body="x",
            event="COMMENT",
            comments=[ReviewComment("src/app.py", 99, "out of range")],
        )


def test_bot_cannot_approve_its_own_pull_request(host: GitHubHost, github_env: GitHubEnv) -> None:
    _new_branch(github_env, "own")
    pr = host.open_pull_request(REPO, head="own", base="main", title="Own", body="", draft=False)
    sha = github_env.fake.head_sha("acme/widgets", "own")
    assert sha is not None
    with pytest.raises(GitHostError, match="Can not approve your own pull request"):
        host.create_review(REPO, pr.number, commit_sha=sha, body="", event="APPROVE", comments=[])
    assert (
        host.create_review(
            REPO, pr.number, commit_sha=sha, body="Looks fine.", event="COMMENT", comments=[]
        )
        > 0
    )


def test_check_runs_with_many_annotations(host: GitHubHost, github_env: GitHubEnv) -> None:
    sha = github_env.fake.head_sha("acme/widgets", "main")
    assert sha is not None
    run_id = host.create_check_run(
        REPO, name="codemonkey/tests", head_sha=sha, status="in_progress"
    )
    run = github_env.fake.check_runs[run_id]
    assert (run.status, run.conclusion, run.app_id) == ("in_progress", None, github_env.app_id)
    notes = tuple(Annotation("src/app.py", i, i, f"problem {i}", "warning") for i in range(1, 121))
    host.update_check_run(
        REPO,
        run_id,
        status="completed",
        conclusion="failure",
        output=CheckRunOutput("3 failed", "See annotations", "details", notes),
    )
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert [a["message"] for a in run.annotations] == [f"problem {i}" for i in range(1, 121)]
    patches = [
        r for r in github_env.fake.requests if r.method == "PATCH" and "/check-runs/" in r.path
    ]
    assert len(patches) == 3  # GitHub takes at most 50 annotations per request
    done = host.create_check_run(
        REPO,
        name="lint",
        head_sha=sha,
        status="completed",
        conclusion="success",
        output=CheckRunOutput("ok", "clean"),
    )
    assert github_env.fake.check_runs[done].completed_at is not None
    with pytest.raises(GitHostError, match="422"):
        host.create_check_run(REPO, name="x", head_sha="0" * 40, status="queued")
    with pytest.raises(GitHostNotFound):
        host.update_check_run(REPO, 123456, status="completed", conclusion="success")


def test_other_repositories_are_invisible(host: GitHubHost, github_env: GitHubEnv) -> None:
    github_env.fake.create_repo("acme/secret")
    with pytest.raises(GitHostNotFound, match="installed"):
        host.default_branch(RepoRef("acme", "secret"))


def test_token_mode_for_actions(github_env: GitHubEnv) -> None:
    token = github_env.fake.issue_action_token("acme/widgets")
    host = GitHubHost.for_token(token, api_url=github_env.api_url, policy=FAST)
    made = host.comment(REPO, github_env.issue.number, "From the workflow.")
    assert github_env.fake.comments[made.id].user == "github-actions[bot]"
    assert host.git_token(REPO) == token
    bad = GitHubHost.for_token("ghs_wrong", api_url=github_env.api_url, policy=FAST)
    with pytest.raises(GitHostAuthError, match="401"):
        bad.default_branch(REPO)
    with pytest.raises(GitHostAuthError, match="GITHUB_TOKEN"):
        GitHubHost.for_token("", api_url=github_env.api_url)
    from_env = GitHubHost.for_action(
        {"GITHUB_TOKEN": token, "GITHUB_API_URL": github_env.api_url}, policy=FAST
    )
    assert from_env.default_branch(REPO) == "main"
    with pytest.raises(GitHostAuthError, match="GITHUB_TOKEN"):
        GitHubHost.for_action({"GITHUB_API_URL": github_env.api_url})
