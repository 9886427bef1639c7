"""What stops or refuses work: trust, /stop, /status, budgets, loops, and path locks."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from agents.providers.scripted import ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from storage.tasks import TaskStore
from tests.fakegithub.fake import FakeGitHub
from tests.flows.harness import REPO, SAMPLE_FILES, turn, wait_for, world
from tests.flows.scripts import team


def _issue(fake: FakeGitHub, title: str = "Add a farewell") -> int:
    return fake.create_issue(REPO, title, "We need farewell(name).", user="alice").number


def _never(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    raise AssertionError("no model call was expected")


def test_a_read_only_user_gets_one_polite_refusal_and_nothing_is_written(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    with world(tmp_path, database, fake, _never) as w:
        number = _issue(fake)
        fake.add_comment(REPO, number, "/plan", user="mallory")
        w.run_until_idle()
        fake.add_comment(REPO, number, "/implement please", user="mallory")
        w.run_until_idle()
        replies = [c for c in w.comments(number) if c.startswith("Hi @mallory")]
        assert len(replies) == 1 and "write access" in replies[0]
        assert [t.kind for t in w.all_tasks()] == ["command.plan", "command.implement"]
        assert all((t.result or {}).get("refused") for t in w.all_tasks())
        assert fake.branches(REPO) == ["main"] and not fake.pulls
        assert w.model.requests == []


def test_stop_cancels_the_running_plan_and_status_reports(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    holder: dict[str, int] = {}

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        assert options.role == "project_manager", "nothing runs after /stop"
        task_id = options.task_id or 0
        fake.add_comment(REPO, holder["issue"], "/stop", user="alice")
        wait_for(lambda: TaskStore(database).is_cancel_requested(task_id))
        return call(
            "delegate",
            role="backend_developer",
            title="Add farewell",
            description="d",
            paths=["app.py"],
        )

    with world(tmp_path, database, fake, respond) as w:
        holder["issue"] = number = _issue(fake)
        fake.label_issue(REPO, number, "codemonkey", user="alice")
        w.run_until_idle()
        states = {t.kind: t.state for t in w.all_tasks()}
        assert states["plan"] == "cancelled" and states["implement"] == "cancelled"
        assert states["command.stop"] == "succeeded"
        assert any(c.startswith("Stopping 1 task(s)") for c in w.comments(number))
        assert fake.branches(REPO) == ["main"] and not fake.pulls
        assert len(w.model.requests) == 1

        fake.add_comment(REPO, number, "/status", user="mallory")  # open to everyone
        w.run_until_idle()
        status = w.comments(number)[-1]
        assert "| task | role | what | state |" in status
        assert "🚫 cancelled" in status and "Spent so far: $0.00" in status


def test_an_exhausted_budget_stops_with_a_message(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    files = {**SAMPLE_FILES, ".github/codemonkey.yml": "budgets: {max_steps: 3}\n"}

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        return call("list_files", pattern=f"*{turn(messages)}*")

    with world(tmp_path, database, fake, respond, files=files) as w:
        number = _issue(fake)
        fake.label_issue(REPO, number, "codemonkey", user="alice")
        w.run_until_idle()
        plan = next(t for t in w.all_tasks() if t.kind == "plan")
        assert plan.state == "failed" and "step budget (3 model calls)" in (plan.error or "")
        stopped = [c for c in w.comments(number) if "stopped" in c]
        assert len(stopped) == 1 and "step budget" in stopped[0]
        assert len(w.model.requests) == 3


def test_a_loop_is_detected_and_stopped(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        return call("read_file", path="app.py")

    with world(tmp_path, database, fake, respond) as w:
        number = _issue(fake)
        fake.label_issue(REPO, number, "codemonkey", user="alice")
        w.run_until_idle()
        stopped = [c for c in w.comments(number) if "stopped" in c]
        assert len(stopped) == 1 and "going in circles" in stopped[0]
        assert len(w.model.requests) == 3
        assert fake.branches(REPO) == ["main"]


def test_disjoint_paths_run_concurrently_and_the_same_path_never_overlaps(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    spans: dict[str, list[float]] = {}
    lock = threading.Lock()
    work = {"A": "app.py", "B": "notes.txt", "C": "app.py"}

    def respond(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
        n = turn(messages)
        if options.role == "project_manager":
            if n < 3:
                title = "ABC"[n]
                return call(
                    "delegate",
                    role="backend_developer",
                    title=f"Task {title}",
                    description=f"Edit {work[title]}",
                    paths=[work[title]],
                )
            return call("finish", summary="Three tasks.")
        if options.role == "backend_developer":
            found = re.search(r": Task ([ABC])\b", messages[1].content)
            assert found is not None
            title = found.group(1)
            with lock:
                spans.setdefault(title, []).append(time.monotonic())
            if n == 0:
                time.sleep(0.4)  # the edit takes a while
                return call("write_file", path=work[title], content=f"edited by {title}\n")
            return call("finish", summary=f"{title} done")
        return team()(messages, options)

    with world(tmp_path, database, fake, respond) as w:
        number = _issue(fake)
        fake.label_issue(REPO, number, "codemonkey", user="alice")
        w.run_until_idle(120)

        def window(title: str) -> tuple[float, float]:
            return spans[title][0], spans[title][-1]

        def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
            return a[0] < b[1] and b[0] < a[1]

        assert overlap(window("A"), window("B")) or overlap(window("C"), window("B"))
        assert not overlap(window("A"), window("C"))
        implement = [t for t in w.all_tasks() if t.kind == "implement"]
        assert {t.state for t in implement} == {"succeeded"}, w.describe()
        assert w.file_at("codemonkey/1-add-a-farewell", "notes.txt") == "edited by B\n"
