"""Bodies over GitHub's limits: the fake refuses them as GitHub does (422), and the host
trims them, with a note saying where the full text is, so the post still lands."""

from __future__ import annotations

import httpx
import pytest

from agents.githost import CheckRunOutput, RepoRef
from bot.github.host import GitHubHost
from bot.logs import log_context
from tests.fakegithub.fixtures import GitHubEnv

REPO = RepoRef("acme", "widgets")
LONG = "START " + "x" * 100_000 + " END"


def test_the_fake_refuses_an_over_long_comment_and_check_output(
    host: GitHubHost, github_env: GitHubEnv
) -> None:
    fake = github_env.fake
    issue = fake.create_issue("acme/widgets", "Long", "body")
    headers = {"Authorization": f"token {host.git_token(REPO)}"}
    api = f"{fake.urls.api}/repos/acme/widgets"
    with httpx.Client(headers=headers) as client:
        refused = client.post(f"{api}/issues/{issue.number}/comments", json={"body": LONG})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["message"] == (
            "body is too long (maximum is 65536 characters)"
        )
        fits = client.post(f"{api}/issues/{issue.number}/comments", json={"body": "x" * 65536})
        assert fits.status_code == 201
        sha = fake.head_sha("acme/widgets", "main")
        run = {"name": "t", "head_sha": sha, "status": "completed", "conclusion": "failure"}
        output = {"title": "t", "summary": "s", "text": "x" * 65536}
        refused = client.post(f"{api}/check-runs", json={**run, "output": output})
        assert refused.status_code == 422
        assert "Only 65535 characters are allowed; 65536 were supplied" in refused.json()["message"]
    assert [c.body for c in fake.comments.values()] == ["x" * 65536]


def test_an_over_long_comment_is_trimmed_with_a_note_pointing_to_the_task(
    host: GitHubHost, github_env: GitHubEnv, caplog: pytest.LogCaptureFixture
) -> None:
    fake = github_env.fake
    issue = fake.create_issue("acme/widgets", "Long", "body")
    with log_context(task_id=42):
        host.comment(REPO, issue.number, LONG)
    (posted,) = [c.body for c in fake.comments.values()]
    assert len(posted) <= 65536
    assert posted.startswith("START ") and posted.endswith(" END")
    cut = len(LONG) - len(posted.split("\n\n[…")[0]) - len(posted.split("…]\n\n")[1])
    assert f"[… {cut} characters of this comment were cut" in posted
    assert "the full text is in the service log of task 42" in posted
    logged = [r for r in caplog.records if "trimmed" in r.getMessage()]
    assert logged and logged[0].fields["full_text"] == LONG  # type: ignore[attr-defined]


def test_over_long_test_output_is_trimmed_and_the_summary_points_to_it(
    host: GitHubHost, github_env: GitHubEnv
) -> None:
    fake = github_env.fake
    sha = fake.head_sha("acme/widgets", "main")
    assert sha is not None
    output = CheckRunOutput("1 failed", "S" * 70_000, "FIRST\n" + "log\n" * 50_000 + "LAST")
    run_id = host.create_check_run(
        REPO, name="qa", head_sha=sha, status="completed", conclusion="failure", output=output
    )
    stored = fake.check_runs[run_id].output
    assert len(stored["summary"]) <= 65535 and len(stored["text"]) <= 65535
    assert "the full output is in this check run's details" in stored["summary"]
    assert stored["text"].startswith("FIRST\n") and stored["text"].endswith("LAST")
    assert "characters of this output were cut" in stored["text"]


def test_an_over_long_pull_request_description_is_trimmed(
    host: GitHubHost, github_env: GitHubEnv
) -> None:
    fake = github_env.fake
    main = fake.head_sha("acme/widgets", "main")
    assert main is not None
    fake.commit_files("acme/widgets", {"a.txt": "a\n"}, "A", branch="long")
    pr = host.open_pull_request(
        REPO, head="long", base="main", title="Long", body=LONG, draft=False
    )
    body = fake.issues[("acme/widgets", pr.number)].body or ""
    assert len(body) <= 65536 and body.startswith("START ") and body.endswith(" END")
    host.update_pull_request(REPO, pr.number, body=LONG + "!")
    body = fake.issues[("acme/widgets", pr.number)].body or ""
    assert len(body) <= 65536 and body.endswith(" END!")
