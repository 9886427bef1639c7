"""Repository environments end to end: a repository whose tests import a package the worker
does not have. Its `.github/codemonkey.yml` setup step installs the package (from source
inside the repository, no index); the developer's `run_command` and the QA check both pass
on the fix; a second issue reuses the environment without running setup again; and a setup
that fails gives a neutral "Could not run the tests" check run with the log."""

from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import Responder, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.agent_steps import AgentStepStore
from storage.sql.database import Database
from tests.agents.env.fixture_repo import FIXED_APP_PY, fixture_files
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, World, turn, world

TESTS = "python3 -m unittest discover -v"


def shouting_team() -> Responder:
    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        n = turn(messages)
        if options.role == "project_manager":
            if n == 0:
                return call(
                    "delegate",
                    role="backend_developer",
                    title="Make greet shout",
                    description="greet() must use shoutkit.shout",
                    paths=["app.py"],
                )
            return call("finish", summary="One task: make greet() shout.")
        if options.role == "backend_developer":
            return [
                call("write_file", path="app.py", content=FIXED_APP_PY),
                call("run_command", command=TESTS),
                call("finish", summary="greet() shouts; the tests pass."),
            ][min(n, 2)]
        if options.role == "qa":
            return call("finish", summary="The existing test covers it.")
        if options.role == "code_reviewer":
            if n == 0:
                return call("review", body="Fine.", event="APPROVE")
            return call("finish", summary="Reviewed.")
        raise AssertionError(f"unexpected model call for {options.role}")

    return respond


def _issue(w: World, fake: FakeGitHub, title: str) -> int:
    issue = fake.create_issue(REPO, title, "greet() should shout.", user="alice")
    fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
    w.run_until_idle()
    return issue.number


def _developer_commands(w: World) -> list[tuple[bool, str]]:
    steps = AgentStepStore(w.database)
    return [
        (bool(s.payload["ok"]), str(s.payload["output"]))
        for task in w.all_tasks()
        if task.kind == "implement"
        for s in steps.steps(task.id)
        if s.kind == "tool_result" and s.payload["name"] == "run_command"
    ]


def _qa_runs(fake: FakeGitHub) -> list[tuple[str | None, str, str]]:
    return [
        (r.conclusion, r.output["title"], r.output["text"])
        for r in fake.check_runs.values()
        if r.name == "CodeMonkey QA"
    ]


def test_setup_installs_what_the_tests_import_and_a_second_task_reuses_it(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, shouting_team(), files=fixture_files()) as w:
        first = _issue(w, fake, "Make greet shout")
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        commands = _developer_commands(w)
        assert len(commands) == 1 and commands[0][0], commands
        assert "setup step ran first" in commands[0][1] and "OK" in commands[0][1]
        runs = _qa_runs(fake)
        assert [(c, t) for c, t, _ in runs] == [("success", "Tests passed")], runs
        plan = w.comments(first)[0]
        assert "Setup: `python3 -m pip install --no-index ./vendor/shoutkit`" in plan
        assert f"Tests run with `{TESTS}` (detected" in plan

        _issue(w, fake, "Make greet shout again")
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        commands = _developer_commands(w)
        assert len(commands) == 2 and commands[1][0], commands
        assert "setup step ran" not in commands[1][1]
        assert [c for c, _, _ in _qa_runs(fake)] == ["success", "success"]
        counters = list((tmp_path / "data").glob("env/environments/acme__widgets/*/setup-runs"))
        assert len(counters) == 1 and counters[0].read_text() == "run\n"
        # Every task's scratch directory went when its task ended.
        assert list((tmp_path / "data").glob("env/scratch/*")) == []


def test_a_failed_setup_gives_a_neutral_check_run_with_the_log(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    broken = "setup:\n  - python3 -m pip install --no-index ./vendor/missing\n"
    with world(tmp_path, database, fake, shouting_team(), files=fixture_files(broken)) as w:
        _issue(w, fake, "Make greet shout")
        runs = _qa_runs(fake)
        assert len(runs) == 1, w.describe()
        conclusion, title, text = runs[0]
        assert (conclusion, title) == ("neutral", "Could not run the tests")
        assert "Setup log:" in text and "./vendor/missing" in text
        assert "does not appear to be a Python project" in text or "ERROR" in text
        commands = _developer_commands(w)
        assert "setup step failed" in commands[0][1] and not commands[0][0]
        assert list((tmp_path / "data").glob("env/scratch/*")) == []
