from __future__ import annotations

import threading
import time
from typing import Any

from agents.team.scheduler import DagScheduler
from storage.sql.database import Database
from storage.task_graph import TaskSnapshot
from storage.tasks import NewTask, create_task

GROUP = "octo/hello#9"


def _add(
    db: Database, title: str, *, paths: tuple[str, ...] = (), after: tuple[int, ...] = ()
) -> int:
    with db.session() as session:
        task, _ = create_task(
            session,
            NewTask(kind="work", title=title, group_key=GROUP, paths=paths, depends_on=after),
        )
        return task.id


class Recorder:
    def __init__(self, fail: set[str] | None = None) -> None:
        self.spans: dict[str, tuple[float, float]] = {}
        self.fail = fail or set()
        self._lock = threading.Lock()

    def __call__(self, task: TaskSnapshot) -> dict[str, Any]:
        start = time.monotonic()
        time.sleep(0.15)
        with self._lock:
            self.spans[task.title] = (start, time.monotonic())
        if task.title in self.fail:
            raise RuntimeError(f"{task.title} broke")
        return {"summary": task.title}


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_dag_runs_dependencies_first_and_independent_tasks_in_parallel(
    database: Database,
) -> None:
    a = _add(database, "a")
    b = _add(database, "b")
    c = _add(database, "c", after=(a, b))
    _add(database, "d", after=(c,))
    recorder = Recorder()
    tasks = DagScheduler(database, {"work": recorder}, parallelism=4).run_group(GROUP)
    assert [t.state for t in tasks] == ["succeeded"] * 4
    spans = recorder.spans
    assert _overlap(spans["a"], spans["b"])
    assert spans["c"][0] >= max(spans["a"][1], spans["b"][1])
    assert spans["d"][0] >= spans["c"][1]
    assert tasks[2].result == {"summary": "c"}


def test_tasks_on_the_same_path_never_overlap(database: Database) -> None:
    _add(database, "x1", paths=("app.py",))
    _add(database, "x2", paths=("app.py", "b.py"))
    _add(database, "y", paths=("web.js",))
    recorder = Recorder()
    DagScheduler(database, {"work": recorder}, parallelism=3).run_group(GROUP)
    spans = recorder.spans
    assert not _overlap(spans["x1"], spans["x2"])
    assert _overlap(spans["x1"], spans["y"])


def test_failure_cancels_dependents_and_says_why(database: Database) -> None:
    a = _add(database, "a")
    b = _add(database, "b", after=(a,))
    _add(database, "c", after=(b,))
    _add(database, "free")
    assert a < b
    tasks = DagScheduler(database, {"work": Recorder(fail={"a"})}, parallelism=2).run_group(GROUP)
    states = {t.title: (t.state, t.error) for t in tasks}
    assert states["a"] == ("failed", "a broke")
    assert states["b"] == ("cancelled", "a task it depends on failed or was cancelled")
    assert states["c"] == ("cancelled", "a task it depends on failed or was cancelled")
    assert states["free"] == ("succeeded", None)


def test_unknown_kind_fails_with_the_fix(database: Database) -> None:
    _add(database, "a")
    tasks = DagScheduler(database, {"other": Recorder()}).run_group(GROUP)
    assert tasks[0].state == "failed"
    assert "no handler for task kind 'work'" in (tasks[0].error or "")
