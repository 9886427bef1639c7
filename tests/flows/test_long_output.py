"""A test run whose output is over GitHub's check-run limit still reports its check run,
trimmed, with a note naming the task whose log holds the full output."""

from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import ScriptedReply
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, SAMPLE_FILES, world
from webhooks.repo_config import CONFIG_PATH

NOISY_TEST = (
    "import unittest\n\n\n"
    "class NoisyTest(unittest.TestCase):\n"
    "    def test_noise(self):\n"
    "        print('FIRST LINE')\n"
    "        print('noise ' * 30000)\n"
    "        self.fail('LAST FAILURE')\n"
)


def _never(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    raise AssertionError("QA runs the tests without a model")


def test_an_over_long_test_output_is_trimmed_in_the_check_run(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    files = {**SAMPLE_FILES, CONFIG_PATH: "auto_review: false\n"}
    with world(
        tmp_path, database, fake, _never, files=files, command_max_output_bytes=400_000
    ) as w:
        fake.commit_files(REPO, {"tests/test_noise.py": NOISY_TEST}, "Noise", branch="noise")
        fake.create_pull(REPO, "noise", "main", "Noise", user="alice", emit=True)
        w.run_until_idle()
        [qa] = [t for t in w.all_tasks() if t.kind == "pr.qa"]
        assert qa.state == "succeeded", w.describe()
        [run] = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        assert run.conclusion == "failure"
        text = run.output["text"]
        assert 60_000 < len(text) <= 65535
        assert "FIRST LINE" in text and "LAST FAILURE" in text
        assert f"the full text is in the service log of task {qa.id}" in text
