"""What the reviewer (and QA) receive first, asserted on the requests the scripted model
actually got in a whole issue flow: a large pull request whose QA check fails."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agents.providers.scripted import ScriptedModel, ScriptedReply, ScriptedRequest, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.llm.fixtures import Fake
from tests.fakes.llm.wire_team import WireTeam
from tests.flows.harness import REPO, turn, world
from tests.flows.scripts import BROKEN, TEST_FAREWELL

# A generated table far larger than the review's diff budget (~24k tokens).
STRINGS = json.dumps({f"key_{n}": f"value number {n}" for n in range(6000)}, indent=1) + "\n"
DEV_SUMMARY = "Added farewell() and the strings table."
QA_SUMMARY = "Added a test for farewell()."


def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    n = turn(messages)
    if options.role == "project_manager":
        if n == 0:
            return call(
                "delegate",
                role="backend_developer",
                title="Add farewell",
                description="Add farewell(name) to app.py and the strings table.",
                paths=["app.py", "locale/strings.json"],
            )
        if n == 1:
            first = re.search(r"task #(\d+)", messages[-1].content)
            assert first is not None, messages[-1].content
            return call(
                "delegate",
                role="backend_developer",
                title="Document farewell",
                description="Mention farewell() in the README.",
                paths=["README.md"],
                depends_on=[int(first.group(1))],
            )
        return call("finish", summary="Two tasks: add farewell(), then document it.")
    if options.role == "backend_developer":
        if "Document farewell" in messages[1].content:
            return [
                call("write_file", path="README.md", content="# widgets\n\nfarewell(name)\n"),
                call("finish", summary="Documented farewell()."),
            ][min(n, 1)]
        return [
            call("write_file", path="app.py", content=BROKEN),
            call("write_file", path="locale/strings.json", content=STRINGS),
            call("finish", summary=DEV_SUMMARY),
        ][min(n, 2)]
    if options.role == "qa":
        return [
            call("write_file", path="tests/test_farewell.py", content=TEST_FAREWELL),
            call("finish", summary=QA_SUMMARY),
        ][min(n, 1)]
    if options.role == "code_reviewer":
        if n == 0:
            return call("review", body="The greeting changed.", event="COMMENT")
        return call("finish", summary="Reviewed.")
    raise AssertionError(f"unexpected model call for {options.role}")


def first_request(model: ScriptedModel | WireTeam, role: str) -> ScriptedRequest:
    return next(r for r in model.requests if r.options.role == role)


def request_tokens(request: ScriptedRequest) -> int:
    """The request's estimated size: messages and tool specs at about 4 characters a token."""
    text = "".join(m.content for m in request.messages)
    text += "".join(
        json.dumps([t.name, t.description, t.parameters]) for t in request.options.tools
    )
    return (len(text) + 3) // 4


@pytest.mark.parametrize("provider", [None, "openai"])
def test_the_reviewer_first_sees_the_whole_pull_request(
    database: Database,
    fake_github: FakeGitHub,
    tmp_path: Path,
    live_fakes: dict[str, Fake],
    provider: str | None,
) -> None:
    """In process, and over HTTP with the OpenAI provider class and its strict fake."""
    wire = None if provider is None else live_fakes[provider]
    fake = fake_github
    with world(tmp_path, database, fake, respond, wire=wire) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()

        review = first_request(w.model, "code_reviewer")
        text = "\n".join(m.content for m in review.messages)
        # The pull request, its linked issue and its commits.
        assert "# Add a farewell" in text and "We need farewell(name)." in text
        assert "- Add farewell (backend_developer)" in text and "Closes #1" in text
        branch = "codemonkey/1-add-a-farewell"
        subjects = fake.git(fake.repos[REPO].path, "log", "--format=%h %s", f"main..{branch}")
        for line in subjects.splitlines():
            assert f"- {line}" in text
        # The diff, ranked and trimmed, naming what was left out.
        assert '+    return f"Hi, {name}!"' in text and "+def farewell(name):" in text
        assert "+class FarewellTest(unittest.TestCase):" in text
        assert "left out to fit the context budget" in text and "locale/strings.json" in text
        assert '"key_5999"' not in text
        # What the tasks reported and the failing QA check with its output.
        assert DEV_SUMMARY in text and QA_SUMMARY in text
        assert "QA check: `python3 -m unittest discover -v` FAILED" in text
        assert "AssertionError: 'Hi, Ada!' != 'Hello, Ada!'" in text
        tools = {t.name: t for t in review.options.tools}
        assert {"diff", "run_command", "review"} <= set(tools)
        items = tools["review"].parameters["properties"]["comments"]["items"]
        assert set(items["properties"]) == {
            "path",
            "line",
            "side",
            "start_line",
            "body",
            "suggestion",
        }

        # A developer sees the diff of the task it depends on, not only its summary.
        documenting = next(
            r
            for r in w.model.requests
            if r.options.role == "backend_developer"
            and "Document farewell" in r.messages[1].content
        )
        dependency = documenting.messages[1].content
        assert DEV_SUMMARY in dependency and "+def farewell(name):" in dependency
        # QA sees the diff of the change it tests, not only its title.
        qa = "\n".join(m.content for m in first_request(w.model, "qa").messages)
        assert "+def farewell(name):" in qa and DEV_SUMMARY in qa
        print(f"\nreviewer's first request: ~{request_tokens(review)} tokens")
