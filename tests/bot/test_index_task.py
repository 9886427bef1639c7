"""The index task: progress visible in the running task's result, and a second index
deferred (its worker thread freed for other work) while this process builds one."""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

import pytest

from bot.commands.tasks import progress_line
from bot.index_build import IndexProgress
from bot.index_lane import IndexLane
from bot.indexing import ProgressWriter, index_repository
from bot.queue.handlers import TaskContext, TaskDeferredError, TaskInfo
from storage.side_effects import SideEffects
from storage.sql.database import Database
from storage.tasks import NewTask, TaskStore


def _ctx(database: Database, task_id: int) -> TaskContext:
    return TaskContext(
        task=TaskInfo(task_id, "repo.index", {"repo": "acme/app"}, 1, 3),
        side_effects=SideEffects(database),
        is_cancelled=lambda: False,
        logger=logging.getLogger("test.index"),
    )


def test_progress_is_written_to_the_running_task(database: Database) -> None:
    store = TaskStore(database)
    task, _ = store.create(NewTask(kind="repo.index"))
    assert store.claim(task.id, "w1", 30) is not None
    writer = ProgressWriter(database, _ctx(database, task.id))
    writer(
        IndexProgress(
            files_total=10, files_done=4, files_unchanged=1, chunks_embedded=9, seconds=3.0
        )
    )
    running = store.get(task.id)
    assert running is not None and running.result == {
        "progress": {
            "files_total": 10,
            "files_done": 4,
            "files_unchanged": 1,
            "chunks_embedded": 9,
            "seconds": 3.0,
        }
    }


def test_codemonkey_tasks_shows_the_progress_of_a_running_index(database: Database) -> None:
    store = TaskStore(database)
    task, _ = store.create(NewTask(kind="repo.index"))
    assert store.claim(task.id, "w1", 30) is not None
    ProgressWriter(database, _ctx(database, task.id))(
        IndexProgress(
            files_total=2000, files_done=304, files_unchanged=0, chunks_embedded=1030, seconds=95.0
        )
    )
    running = store.get(task.id)
    assert running is not None
    assert progress_line(running.state, running.result) == (
        "progress: 304/2000 files (0 unchanged), 1030 chunks embedded, 95.0 s"
    )


def test_a_second_index_is_deferred_while_the_lane_is_busy(database: Database) -> None:
    lane = IndexLane()
    inside, release = threading.Event(), threading.Event()

    def hold(embedders: object) -> None:
        inside.set()
        release.wait(5)

    holder = threading.Thread(target=lambda: lane.run(hold))
    holder.start()
    try:
        assert inside.wait(5)
        # Nothing else is touched: the task goes back to the queue before any work.
        services, runtime = cast(Any, None), cast(Any, None)
        with pytest.raises(TaskDeferredError) as deferred:
            index_repository(services, runtime, _ctx(database, 1), lane, "main")
        assert deferred.value.retry_after_seconds > 0
    finally:
        release.set()
        holder.join(5)
        lane.close()
