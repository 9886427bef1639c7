"""What the scripted team does in the end-to-end tests, role by role and turn by turn."""

from __future__ import annotations

from agents.providers.scripted import Responder, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from tests.flows.harness import turn

FAREWELL = (
    'def greet(name):\n    return f"Hello, {name}!"\n\n\n'
    'def farewell(name):\n    return f"Bye, {name}!"\n'
)
# Breaks the existing greet() test on line 8 of tests/test_app.py.
BROKEN = FAREWELL.replace("Hello, {name}!", "Hi, {name}!")
TEST_FAREWELL = (
    "import unittest\n\nfrom app import farewell\n\n\n"
    "class FarewellTest(unittest.TestCase):\n"
    "    def test_farewell(self):\n"
    '        self.assertEqual(farewell("Ada"), "Bye, Ada!")\n'
)


def team(*, app_py: str = FAREWELL, verdict: str = "APPROVE") -> Responder:
    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        n = turn(messages)
        role = options.role
        if role == "project_manager":
            if n == 0:
                return call(
                    "delegate",
                    role="backend_developer",
                    title="Add farewell",
                    description="Add farewell(name) to app.py",
                    paths=["app.py"],
                )
            return call("finish", summary="One task: add farewell() to app.py.")
        if role == "backend_developer":
            brief = messages[1].content
            if "rename" in brief.lower():
                replaced = app_py.replace("def farewell(", "def goodbye(")
                return [
                    call("write_file", path="app.py", content=replaced),
                    call("finish", summary="Renamed farewell to goodbye."),
                ][min(n, 1)]
            return [
                call("write_file", path="app.py", content=app_py),
                call("finish", summary="Added farewell()."),
            ][min(n, 1)]
        if role == "qa":
            return [
                call("write_file", path="tests/test_farewell.py", content=TEST_FAREWELL),
                call("run_command", command="python3 -m unittest discover -v"),
                call("finish", summary="Added a test for farewell()."),
            ][min(n, 2)]
        if role == "code_reviewer":
            if n == 0:
                return call("review", body="Reviewed the change.", event=verdict)
            return call("finish", summary="Reviewed.")
        raise AssertionError(f"unexpected model call for {role}")

    return respond
