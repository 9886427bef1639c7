"""What each role receives first, asserted on the requests that reached the Anthropic fake
in a whole issue flow: the repository map, how to run the tests, the `search_code` tool
(semantic over the code index plus text), and a conversation prefix read from the cache."""

from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import ScriptedReply, ScriptedRequest, call
from agents.providers.types import ChatMessage, ChatOptions
from bot.index_build import chunks
from storage.agent_steps import AgentStepStore, spend_of
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.llm.fixtures import Fake, fresh
from tests.fakes.llm.prompt_cache import PromptCache
from tests.fakes.llm.wire_team import WireTeam
from tests.flows.harness import REPO, SAMPLE_FILES, turn, world
from tests.flows.scripts import FAREWELL, TEST_FAREWELL

TESTS = "python3 -m unittest discover -v"


def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    n = turn(messages)
    if options.role == "project_manager":
        return [
            call("search_code", query="greet"),
            call(
                "delegate",
                role="backend_developer",
                title="Add farewell",
                description="Add farewell(name) to app.py",
                paths=["app.py"],
            ),
            call("finish", summary="One task: add farewell() to app.py."),
        ][min(n, 2)]
    if options.role == "backend_developer":
        return [
            call("search_code", query="greeting function"),
            call("read_file", path="app.py"),
            call("write_file", path="app.py", content=FAREWELL),
            call("run_command", command=TESTS),
            call("finish", summary="Added farewell()."),
        ][min(n, 4)]
    if options.role == "qa":
        return [
            call("write_file", path="tests/test_farewell.py", content=TEST_FAREWELL),
            call("run_command", command=TESTS),
            call("finish", summary="Added a test for farewell()."),
        ][min(n, 2)]
    if options.role == "code_reviewer":
        if n == 0:
            return call("review", body="Reviewed the change.", event="APPROVE")
        return call("finish", summary="Reviewed.")
    raise AssertionError(f"unexpected model call for {options.role}")


def first(requests: list[ScriptedRequest], role: str) -> ScriptedRequest:
    return next(r for r in requests if r.options.role == role)


def text_of(request: ScriptedRequest) -> str:
    return "\n".join(m.content for m in request.messages)


def test_each_role_starts_with_the_map_the_tests_and_the_code_search(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, live_fakes: dict[str, Fake]
) -> None:
    fake = fake_github
    wire = fresh(live_fakes, "anthropic")
    with world(tmp_path, database, fake, respond, wire=wire) as w:
        wire.script.prompt_cache = PromptCache()
        # The repository as `repo.index` stores it.
        for name, text in SAMPLE_FILES.items():
            if text:
                w.services.vectors.upsert(REPO, "code", chunks(name, text))
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        assert isinstance(w.model, WireTeam) and w.model.problems == []
        assert [r.rejected for r in wire.script.requests if r.rejected] == []
        requests = w.model.requests

        # Planners and developers get the map; roles that run tests get how to run them.
        pm, dev = first(requests, "project_manager"), first(requests, "backend_developer")
        qa = first(requests, "qa")
        for request in (pm, dev):
            text = text_of(request)
            assert "Repository map: files with their top-level definitions" in text
            assert "app.py: def greet:1" in text
            assert "tests/test_app.py: class GreetTest:6(test_greet)" in text
        for request in (dev, qa):
            text = text_of(request)
            # The repository configures no `test_command`: the one detected, and why.
            assert f"How to run the tests: `{TESTS}` (detected: " in text, text[-3000:]
            assert "The repository (your working directory) persists between calls" in text
            assert "scratch directory, outside the repository, which is also kept" in text
            assert "There is no network" in text
        # The project manager reproduces with the same command, in a read-only work tree.
        assert "How to run the tests" in text_of(pm)
        assert "mounted read-only for your commands" in text_of(pm)
        assert "Repository map" not in text_of(qa)
        # QA follows the developer: it learns that the change is committed, against which base.
        assert "the work of earlier tasks is already committed" in text_of(qa)
        for role in ("project_manager", "backend_developer", "qa", "code_reviewer"):
            assert "search_code" in {t.name for t in first(requests, role).options.tools}

        # The PM's search found app.py both by meaning and by text, with its line range.
        answered = next(
            r
            for r in requests
            if r.options.role == "project_manager" and turn(list(r.messages)) == 1
        )
        found = answered.messages[-1].content
        assert "Semantic hits come from the index of the default branch" in found
        assert "app.py:1-2 (semantic + text)" in found and "1: def greet(name):" in found

        # Every later step of a task reads the conversation so far from the cache.
        for task in w.all_tasks():
            responses = [
                s.payload for s in AgentStepStore(database).steps(task.id) if s.kind == "response"
            ]
            for later in responses[1:]:
                assert later["usage"]["cache_read_tokens"] > 0, (task.role, later["usage"])
        spend = spend_of(
            [
                s.payload
                for t in w.all_tasks()
                for s in AgentStepStore(database).steps(t.id)
                if s.kind == "response"
            ]
        )
        assert spend.cache_read_tokens > 0 and spend.cache_write_tokens > 0
        summary = next(c for c in w.comments(issue.number) if c.startswith("### Summary"))
        assert f"prompt cache: {spend.cache_read_tokens:,} input tokens read" in summary
        assert f"{spend.cache_write_tokens:,} written" in summary
        print(
            f"\ncached share of input tokens over the run: {spend.cached_share:.1%} "
            f"({spend.cache_read_tokens:,} read, {spend.cache_write_tokens:,} written, "
            f"{spend.input_tokens:,} uncached; {spend.model_calls} model calls)"
        )
