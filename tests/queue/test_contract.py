"""The queue contract, run on the in-process pool and on RQ+Redis, each on SQLite and
PostgreSQL: whatever the backend, a task runs once per attempt, retries, stops, waits for
its dependencies and survives a dead worker."""

from __future__ import annotations

import threading
import time
from typing import Any

from bot.queue import builtin_handlers as builtin
from storage.sql.models import TaskState
from storage.tasks import NewTask
from tests.queue.harness import Harness

IDLE_TIMEOUT = 20.0


def _create(h: Harness, kind: str, payload: dict[str, Any] | None = None, **kw: Any) -> int:
    task, _ = h.store.create(NewTask(kind=kind, payload=payload or {}, **kw))
    return task.id


def _state(h: Harness, task_id: int) -> tuple[str, int, str | None]:
    task = h.store.get(task_id)
    assert task is not None
    return task.state, task.attempts, task.error


def _effect_lines(h: Harness, name: str) -> list[str]:
    path = h.settings.data_dir / "diagnostics" / f"{name}.effects"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_tasks_run_and_record_results(harness: Harness) -> None:
    ids = [_create(harness, builtin.NOOP) for _ in range(10)]
    harness.queue.enqueue(ids)
    assert harness.run_until_idle(IDLE_TIMEOUT)
    for task_id in ids:
        task = harness.store.get(task_id)
        assert task is not None
        assert (task.state, task.attempts, task.result) == (TaskState.SUCCEEDED, 1, {"ok": True})
    assert harness.queue.depth() == 0


def test_transient_errors_retry_with_backoff_then_fail(harness: Harness) -> None:
    always = _create(harness, builtin.FAIL, {"message": "flaky"}, max_attempts=3)
    once = _create(harness, builtin.FAIL, {"until_attempt": 1}, max_attempts=3)
    harness.queue.enqueue([always, once])
    assert harness.run_until_idle(IDLE_TIMEOUT)
    state, attempts, error = _state(harness, always)
    assert (state, attempts) == (TaskState.FAILED, 3)
    assert error is not None and "RuntimeError: flaky (attempt 3)" in error
    done = harness.store.get(once)
    assert done is not None
    assert (done.state, done.attempts) == (TaskState.SUCCEEDED, 2)
    assert done.result == {"succeeded_on_attempt": 2}


def test_permanent_error_and_unknown_kind_fail_without_retry(harness: Harness) -> None:
    permanent = _create(harness, builtin.FAIL, {"permanent": True, "message": "bad payload"})
    unknown = _create(harness, "no.such.kind")
    harness.queue.enqueue([permanent, unknown])
    assert harness.run_until_idle(IDLE_TIMEOUT)
    assert _state(harness, permanent) == (TaskState.FAILED, 1, "permanent: bad payload")
    state, attempts, error = _state(harness, unknown)
    assert (state, attempts) == (TaskState.FAILED, 1)
    assert error is not None
    assert "unknown task kind 'no.such.kind'" in error and "build_handlers" in error


def test_cancel_queued_task_never_runs(harness: Harness) -> None:
    task_id = _create(harness, builtin.PROBE, {"name": "cancelled"})
    assert harness.store.cancel(task_id) is TaskState.CANCELLED
    harness.queue.enqueue([task_id])
    assert harness.run_until_idle(IDLE_TIMEOUT)
    assert _state(harness, task_id)[:2] == (TaskState.CANCELLED, 0)
    assert not (harness.settings.data_dir / "diagnostics" / "cancelled.attempt-1").exists()


def test_cancel_running_task_stops_its_handler(harness: Harness) -> None:
    task_id = _create(harness, builtin.SLEEP, {"seconds": 60}, group_key="o/r#9")
    outcome: dict[int, TaskState] = {}

    def cancel_when_running() -> None:
        deadline = time.monotonic() + IDLE_TIMEOUT
        while time.monotonic() < deadline:
            task = harness.store.get(task_id)
            if task is not None and task.state == TaskState.RUNNING:
                outcome.update(harness.store.cancel_group("o/r#9"))
                return
            time.sleep(0.02)

    canceller = threading.Thread(target=cancel_when_running)
    canceller.start()
    started = time.monotonic()
    harness.queue.enqueue([task_id])
    assert harness.run_until_idle(IDLE_TIMEOUT)
    canceller.join()
    assert outcome == {task_id: TaskState.RUNNING}
    state, attempts, error = _state(harness, task_id)
    assert (state, attempts) == (TaskState.CANCELLED, 1)
    assert error == f"task {task_id} was cancelled"
    assert time.monotonic() - started < 30, "the 60 s handler should have stopped early"


def test_dependencies_run_in_order_and_failure_cancels_dependents(harness: Harness) -> None:
    a = _create(harness, builtin.NOOP)
    b = _create(harness, builtin.NOOP, depends_on=(a,))
    c = _create(harness, builtin.NOOP, depends_on=(a, b))
    bad = _create(harness, builtin.FAIL, {"permanent": True})
    after_bad = _create(harness, builtin.NOOP, depends_on=(bad,))
    harness.queue.enqueue([c, b, a, after_bad, bad])  # order must not matter
    assert harness.run_until_idle(IDLE_TIMEOUT)
    tasks = {i: harness.store.get(i) for i in (a, b, c, after_bad)}
    assert all(
        t is not None and t.state == TaskState.SUCCEEDED for i, t in tasks.items() if i != after_bad
    )
    finished = [tasks[i].finished_at for i in (a, b, c)]  # type: ignore[union-attr]
    assert finished == sorted(finished)  # type: ignore[type-var]
    assert _state(harness, after_bad)[:2] == (TaskState.CANCELLED, 0)


def test_duplicate_enqueue_runs_once(harness: Harness) -> None:
    task_id = _create(harness, builtin.PROBE, {"name": "dup"})
    harness.queue.enqueue([task_id, task_id])
    harness.queue.enqueue([task_id])
    assert harness.run_until_idle(IDLE_TIMEOUT)
    harness.queue.enqueue([task_id])
    assert harness.run_until_idle(IDLE_TIMEOUT)
    assert _state(harness, task_id) == (TaskState.SUCCEEDED, 1, None)
    assert len(_effect_lines(harness, "dup")) == 1


def test_dead_workers_task_reruns_without_repeating_side_effects(harness: Harness) -> None:
    """A worker claimed the task, performed its side effect, then died (stopped renewing)."""
    task_id = _create(harness, builtin.PROBE, {"name": "lost"})
    lease = 0.5
    assert harness.store.claim(task_id, "dead-worker", lease) is not None
    effects_file = harness.settings.data_dir / "diagnostics" / "lost.effects"
    effects_file.parent.mkdir(parents=True, exist_ok=True)

    def first_attempt_effect() -> dict[str, Any]:
        effects_file.write_text(f"task {task_id} attempt 1\n", encoding="utf-8")
        return {"attempt": 1}

    harness.side_effects.once(f"probe:lost:{task_id}", task_id, first_attempt_effect)
    died = time.monotonic()
    assert harness.run_until_idle(IDLE_TIMEOUT)
    recovered_after = time.monotonic() - died
    task = harness.store.get(task_id)
    assert task is not None
    assert (task.state, task.attempts) == (TaskState.SUCCEEDED, 2)
    assert task.result == {"effect": {"attempt": 1}, "attempt": 2}
    assert _effect_lines(harness, "lost") == [f"task {task_id} attempt 1"]
    bound = lease + harness.settings.task_reaper_interval_seconds
    assert recovered_after < bound + 3.0, f"recovery took {recovered_after:.2f}s"


def test_heartbeat_keeps_a_long_task_from_being_stolen(harness: Harness) -> None:
    # Lease 1 s; the handler runs 1.6 s, so only renewal keeps the reaper from re-offering it.
    assert harness.settings.task_lease_seconds == 1.0
    task_id = _create(harness, builtin.SLEEP, {"seconds": 1.6})
    harness.queue.enqueue([task_id])
    assert harness.run_until_idle(IDLE_TIMEOUT)
    assert _state(harness, task_id) == (TaskState.SUCCEEDED, 1, None)


def test_tasks_never_enqueued_are_found_by_the_reaper(harness: Harness) -> None:
    """The id was lost between the SQL commit and the enqueue (crash, Redis failover)."""
    ids = [_create(harness, builtin.NOOP) for _ in range(3)]
    assert harness.run_until_idle(IDLE_TIMEOUT)
    assert [_state(harness, i)[:2] for i in ids] == [(TaskState.SUCCEEDED, 1)] * 3
