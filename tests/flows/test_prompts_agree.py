"""Every role's first request for a sample issue, as the provider received it over HTTP:
the prompts agree with the flow.

- A request names only roles of the run's roster (a repository can disable roles).
- A developer whose task's paths hold no test file is not told to write tests; a task
  whose paths hold tests is.
- The project manager sees the roster, what the system adds after its plan, and can run
  commands to reproduce; its dependent tasks are planned in one go, by label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.providers.scripted import Responder, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from agents.roles import load_roles
from storage.sql.database import Database
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.llm.fixtures import Fake
from tests.fakes.llm.wire_team import READERS, role_of
from tests.flows.harness import REPO, SAMPLE_FILES, World, turn, world
from tests.flows.scripts import FAREWELL, TEST_FAREWELL

SHIPPED = load_roles()
# (role, path it edits, title, label, depends on labels)
FULL_PLAN = [
    ("architect", None, "Design farewell", "design", []),
    ("tech_lead", None, "Split farewell", "split", []),
    ("backend_developer", "app.py", "Add farewell", "api", ["design"]),
    ("frontend_developer", "web/bye.js", "Bye button", "ui", []),
    ("devops", "Makefile", "Make target", "make", []),
    ("qa", "tests/test_farewell.py", "Test farewell", "tests", ["api"]),
]
SMALL_PLAN = [p for p in FULL_PLAN if p[0] in ("backend_developer", "qa")]
SMALL_PLAN = [(r, p, t, lab, [d for d in deps if d == "api"]) for r, p, t, lab, deps in SMALL_PLAN]
DISABLED = ("tech_lead", "architect", "frontend_developer", "devops")
CONFIG = "roles:\n" + "".join(
    f"  {name}: {{enabled: false}}\n" for name in ("tech_lead", "architect", "frontend", "devops")
)
CONTENT = {
    "app.py": FAREWELL,
    "web/bye.js": "export const bye = () => 'Bye';\n",
    "Makefile": "test:\n\tpython3 -m unittest\n",
    "tests/test_farewell.py": TEST_FAREWELL,
}


@pytest.fixture(params=["openai", "anthropic"])
def wire(request: pytest.FixtureRequest, live_fakes: dict[str, Fake]) -> Iterator[Fake]:
    chosen = live_fakes[request.param]
    chosen.script.reset()
    yield chosen
    chosen.script.reset()


def planner(plan: list[tuple[str, str | None, str, str, list[str]]]) -> Responder:
    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        n = turn(messages)
        role = options.role
        if role == "project_manager":
            if n < len(plan):
                name, path, title, label, after = plan[n]
                return call(
                    "delegate",
                    role=name,
                    title=title,
                    description=f"{title} for the issue.",
                    paths=[path] if path else [],
                    label=label,
                    depends_on=after,
                )
            return call("finish", summary="Planned.")
        if role == "code_reviewer":
            return [call("review", body="ok", event="APPROVE"), call("finish", summary="ok")][
                min(n, 1)
            ]
        path = next(p for r, p, *_ in plan if r == role)
        if path and n == 0:
            return call("write_file", path=path, content=CONTENT[path])
        return call("finish", summary="Done.")

    return respond


def first_bodies(w: World) -> dict[str, str]:
    """Each role's first request body as sent (messages and tool specs), by role."""
    assert w.wire is not None
    found: dict[str, str] = {}
    for recorded in w.wire.script.accepted:
        messages, _ = READERS[w.wire.name](recorded.body)
        role = role_of(messages[0].content)
        if role is not None and role not in found and turn(messages) == 0:
            found[role] = json.dumps(recorded.body)
    return found


def roles_named(text: str) -> set[str]:
    named = set()
    for role in SHIPPED.values():
        by_name = re.search(rf"(?<![A-Za-z_]){role.name}(?![A-Za-z_])", text)
        by_title = re.search(rf"\b{re.escape(role.title)}\b", text, re.IGNORECASE)
        if by_name or by_title:
            named.add(role.name)
    return named


def request_tokens(body: str) -> int:
    return (len(body) + 3) // 4


def run(
    tmp_path: Path,
    database: Database,
    fake: FakeGitHub,
    wire: Fake,
    plan: list[Any],
    files: dict[str, str],
) -> tuple[World, dict[str, str]]:
    with world(tmp_path, database, fake, planner(plan), wire=wire, files=files) as w:
        issue = fake.create_issue(REPO, "Add a farewell", "We need farewell(name).", user="alice")
        fake.label_issue(REPO, issue.number, "codemonkey", user="alice")
        w.run_until_idle()
        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        assert getattr(w.model, "problems", []) == []
        return w, first_bodies(w)


def test_every_role_first_request_agrees_with_the_full_team(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, wire: Fake
) -> None:
    w, bodies = run(tmp_path, database, fake_github, wire, FULL_PLAN, SAMPLE_FILES)
    assert set(bodies) == set(SHIPPED), sorted(bodies)
    for role, body in bodies.items():
        assert roles_named(body) <= set(SHIPPED), role
        print(f"\n{role}: ~{request_tokens(body)} tokens")

    pm = bodies["project_manager"]
    # The roster, what the system adds after the plan, and a command tool to reproduce.
    for name in set(SHIPPED) - {"project_manager"}:
        assert f"- {name} (" in pm, name
    for step in ("draft pull request", "QA check", "fix task", "a review by", "summary"):
        assert step in pm, step
    assert '"run_command"' in pm and '"label"' in pm

    # Developers without test paths are told not to write tests; the test task is told to.
    for role in ("backend_developer", "frontend_developer", "devops"):
        assert "tests are not part of this task, so do not write them" in bodies[role], role
        assert "add or update tests" not in bodies[role].lower(), role
    assert "Tests are part of this task" in bodies["qa"]

    # Dependencies given by label in the same reply resolved to the tasks' ids.
    tasks = {t.title: t for t in w.tasks(f"{REPO}#1")}
    assert tasks["Add farewell"].id in tasks["Test farewell"].depends_on
    assert tasks["Design farewell"].id in tasks["Add farewell"].depends_on


def test_no_request_names_a_role_the_repository_disabled(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, wire: Fake
) -> None:
    files = {**SAMPLE_FILES, ".github/codemonkey.yml": CONFIG}
    _, bodies = run(tmp_path, database, fake_github, wire, SMALL_PLAN, files)
    assert {"project_manager", "backend_developer", "qa", "code_reviewer"} <= set(bodies)
    roster = set(SHIPPED) - set(DISABLED)
    for role, body in bodies.items():
        assert roles_named(body) <= roster, (role, roles_named(body) - roster)
    assert "- backend_developer (" in bodies["project_manager"]
