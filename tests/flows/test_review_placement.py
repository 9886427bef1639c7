"""A reviewer that comments on a line outside the diff is told the valid lines, corrects
its comment, and the review lands on GitHub (which never sees the misplaced one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.providers.scripted import ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.llm.fixtures import Fake
from tests.flows.harness import REPO, SAMPLE_FILES, turn, world

UTIL = "".join(f"def f{n}():\n    return {n}\n\n\n" for n in range(1, 11))  # 40 lines
# Changes line 22 ("    return 6"): the diff's only hunk is lines 19-25 on both sides.
CHANGED = UTIL.replace("    return 6\n", "    return 6 * 1\n")


@pytest.mark.parametrize("provider", [None, "openai"])
def test_a_comment_outside_the_diff_is_corrected_and_the_review_posted(
    database: Database,
    fake_github: FakeGitHub,
    tmp_path: Path,
    live_fakes: dict[str, Fake],
    provider: str | None,
) -> None:
    """In process, and over HTTP with the OpenAI provider class and its strict fake."""
    wire = None if provider is None else live_fakes[provider]
    fake = fake_github
    errors: list[str] = []

    def reviewer(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        n = turn(messages)
        comment = {"path": "util.py", "body": "Why multiply by one?"}
        if n == 0:
            return call(
                "review", body="One question.", event="COMMENT", comments=[{**comment, "line": 2}]
            )
        if n == 1:
            errors.append(messages[-1].content)
            return call(
                "review", body="One question.", event="COMMENT", comments=[{**comment, "line": 22}]
            )
        return call("finish", summary="Reviewed.")

    files = {**SAMPLE_FILES, "util.py": UTIL}
    with world(tmp_path, database, fake, reviewer, files=files, wire=wire) as w:
        fake.commit_files(REPO, {"util.py": CHANGED}, "Multiply", branch="mul")
        pull = fake.create_pull(REPO, "mul", "main", "Multiply", user="alice", emit=True)
        w.run_until_idle()
        review_task = next(t for t in w.all_tasks() if t.kind == "pr.review")
        assert review_task.state == "succeeded", w.describe()
        assert len(errors) == 1
        assert "util.py line 2 (RIGHT) is outside the diff's hunks" in errors[0]
        assert "RIGHT (new file) lines 19-25; LEFT (old file) lines 19-25" in errors[0]
        inline = [c for c in fake.review_comments.values() if c.number == pull.number]
        assert [(c.path, c.line, c.side) for c in inline] == [("util.py", 22, "RIGHT")]
        assert [r.body for r in fake.reviews.values() if r.number == pull.number] == [
            "One question."
        ]
        refused = [r for r in fake.requests if r.path.endswith("/reviews") and r.status == 422]
        assert refused == []
