"""Parallel tasks of one issue each work in a checkout of their own, cut from the issue
branch's head, and their commits are integrated onto the branch: one task's half-made
edits never reach another task's test run, and a real conflict between two tasks goes to
the later task as a follow-up that shows it (once, not in a loop).

Over the wire: the team is the OpenAI client class talking HTTP to the provider's strict
fake, the repository is a real bare repository behind the fake GitHub."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.providers.scripted import Responder, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.llm.fixtures import Fake
from tests.flows.harness import APP_PY, REPO, turn, world
from tests.flows.scripts import BROKEN, FAREWELL

BRANCH = "codemonkey/1-greetings"
README = "# widgets\n\nSay hello with greet(name).\n"
TEST_COMMAND = "python3 -m unittest discover -v"
# How long a scripted task waits for the other one, in polls of POLL_SECONDS.
MAX_POLLS = 30
POLL_SECONDS = 0.2


@pytest.fixture
def openai_fake(live_fakes: dict[str, Fake]) -> Iterator[Fake]:
    chosen = live_fakes["openai"]
    chosen.script.reset()
    yield chosen
    chosen.script.reset()


def _pm(messages: list[ChatMessage], backend: str, frontend: str) -> ScriptedReply:
    return [
        call(
            "delegate",
            role="backend_developer",
            title=backend,
            description=f"{backend} in app.py",
            paths=["app.py"],
        ),
        call(
            "delegate",
            role="frontend_developer",
            title=frontend,
            description=f"{frontend} in README.md",
            paths=["README.md"],
        ),
        call("finish", summary="Two tasks in parallel."),
    ][min(turn(messages), 2)]


def _finishing_roles(messages: list[ChatMessage], role: str | None) -> ScriptedReply:
    if role == "qa":
        return call("finish", summary="The existing tests cover it.")
    if role == "code_reviewer":
        if turn(messages) == 0:
            return call("review", body="Reviewed.", event="APPROVE")
        return call("finish", summary="Reviewed.")
    raise AssertionError(f"unexpected model call for {role}")


def _wait_a_turn(poll: int) -> ScriptedReply:
    # The pause runs in the task's sandbox, not in the provider fake's server (which would
    # stall every other task's model call); each poll differs, so it is not seen as circling.
    return call("run_command", command=f"sleep {POLL_SECONDS}  # poll {poll}")


def half_made_edits(seen: dict[str, str], events: dict[str, threading.Event]) -> Responder:
    """The backend developer breaks greet() on its first edit and repairs it only after the
    frontend developer ran the tests in the meantime."""
    polls = {"backend": 0, "frontend": 0}

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        n = turn(messages)
        if options.role == "project_manager":
            return _pm(messages, "Add farewell", "Document greet")
        if options.role == "backend_developer":
            if n == 0:
                return call("write_file", path="app.py", content=BROKEN)
            events["broken"].set()  # the half-made edit is on disk in its checkout
            if not events["tested"].is_set() and polls["backend"] < MAX_POLLS:
                polls["backend"] += 1
                return _wait_a_turn(polls["backend"])
            if "wrote" not in seen:
                seen["wrote"] = "final"
                return call("write_file", path="app.py", content=FAREWELL)
            return call("finish", summary="Added farewell().")
        if options.role == "frontend_developer":
            if "tests" not in seen:
                if not events["broken"].is_set() and polls["frontend"] < MAX_POLLS:
                    polls["frontend"] += 1
                    return _wait_a_turn(polls["frontend"])
                if "ran" not in seen:
                    seen["ran"] = "yes"
                    seen["overlap"] = str(events["broken"].is_set())
                    return call("run_command", command=TEST_COMMAND)
                seen["tests"] = messages[-1].content
                events["tested"].set()
                return call("write_file", path="README.md", content=README)
            return call("finish", summary="Documented greet().")
        return _finishing_roles(messages, options.role)

    return respond


def test_a_task_never_sees_another_tasks_half_made_edits(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, openai_fake: Fake
) -> None:
    fake = fake_github
    seen: dict[str, str] = {}
    events = {"broken": threading.Event(), "tested": threading.Event()}
    with world(tmp_path, database, fake, half_made_edits(seen, events), wire=openai_fake) as w:
        issue = fake.create_issue(REPO, "Greetings", "Farewell and docs.", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle(timeout=120)

        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        # The two tasks overlapped: the tests ran while the other task's edit was broken...
        assert seen.get("overlap") == "True", seen
        # ...and passed, because they ran on the frontend task's own checkout.
        assert "Ran 1 test" in seen["tests"] and "OK" in seen["tests"], seen["tests"]
        assert "FAILED" not in seen["tests"] and "Hi, Ada!" not in seen["tests"]
        # Both tasks' work is on the issue branch, one commit each on top of main.
        assert w.file_at(BRANCH, "app.py") == FAREWELL
        assert w.file_at(BRANCH, "README.md") == README
        log = fake.git(fake.repos[REPO].path, "log", "--format=%s", f"main..{BRANCH}")
        assert sorted(log.split("\n")[:2]) == ["Add farewell", "Document greet"], log
        runs = [r for r in fake.check_runs.values() if r.name == "CodeMonkey QA"]
        assert [r.conclusion for r in runs] == ["success"], w.describe()


# The frontend developer's greet() clashes with the backend developer's farewell(): both
# replace the file's last lines.
CLASHING = APP_PY + '\n\ndef shout(name):\n    return f"HELLO, {name.upper()}!"\n'
MERGED = FAREWELL + '\n\ndef shout(name):\n    return f"HELLO, {name.upper()}!"\n'


def clashing_edits(fake: FakeGitHub, briefs: list[str]) -> Responder:
    """The frontend developer edits app.py after the backend developer's change landed on
    the branch, in a checkout cut before it: a real conflict."""
    polls = {"n": 0}

    def landed() -> bool:
        found = fake.read_blob(REPO, BRANCH, "app.py")
        return found is not None and found[0].decode() == FAREWELL

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        n = turn(messages)
        if options.role == "project_manager":
            return _pm(messages, "Add farewell", "Add shout")
        if options.role == "backend_developer":
            return [
                call("write_file", path="app.py", content=FAREWELL),
                call("finish", summary="Added farewell()."),
            ][min(n, 1)]
        if options.role == "frontend_developer":
            brief = messages[1].content
            if "could not be integrated" in brief:  # the follow-up: redo it on top
                if n == 0:
                    briefs.append(brief)
                return [
                    call("write_file", path="app.py", content=MERGED),
                    call("write_file", path="README.md", content=README),
                    call("finish", summary="Added shout() after farewell()."),
                ][min(n, 2)]
            if n == 0:
                return call("write_file", path="README.md", content=README)
            if not landed() and polls["n"] < MAX_POLLS:
                polls["n"] += 1
                return _wait_a_turn(polls["n"])
            if "clashed" not in polls:
                polls["clashed"] = 1
                return call("write_file", path="app.py", content=CLASHING)
            return call("finish", summary="Added shout().")
        return _finishing_roles(messages, options.role)

    return respond


def test_a_real_conflict_becomes_a_follow_up_task_that_shows_it(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, openai_fake: Fake
) -> None:
    fake = fake_github
    briefs: list[str] = []
    with world(tmp_path, database, fake, clashing_edits(fake, briefs), wire=openai_fake) as w:
        issue = fake.create_issue(REPO, "Greetings", "Farewell and shout.", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle(timeout=120)

        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        work = [t for t in w.tasks(f"{REPO}#{issue.number}") if t.kind == "implement"]
        # The two planned tasks and one follow-up for the later one: no loop.
        assert len(work) == 3, w.describe()
        clashed = next(t for t in work if (t.result or {}).get("conflict"))
        assert clashed.role == "frontend_developer"
        assert clashed.result is not None and clashed.result["conflict"]["files"] == ["app.py"]
        follow_up = next(t for t in work if t.id == clashed.result["next"])
        assert follow_up.parent_id == clashed.id and follow_up.role == "frontend_developer"
        assert follow_up.payload["conflict_of"] == clashed.id
        # Its brief shows the conflict as git did: both sides, with the markers.
        assert len(briefs) == 1, briefs
        brief = briefs[0]
        assert "conflicts in app.py" in brief
        assert "<<<<<<<" in brief and "=======" in brief and ">>>>>>>" in brief
        assert 'return f"Bye, {name}!"' in brief and "def shout(name):" in brief
        # The branch ends with both changes, the earlier task's kept.
        assert w.file_at(BRANCH, "app.py") == MERGED
        assert w.file_at(BRANCH, "README.md") == README
