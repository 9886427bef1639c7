"""TaskStore transitions on SQLite and PostgreSQL, including racing workers."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

from storage.sql.database import Database
from storage.sql.models import Task, TaskState
from storage.sql.types import utcnow
from storage.tasks import LeaseLostError, NewTask, RetryPolicy, TaskFilter, TaskStore


def _new(store: TaskStore, kind: str = "builtin.noop", **kwargs: object) -> int:
    task, created = store.create(NewTask(kind=kind, **kwargs))  # type: ignore[arg-type]
    assert created
    return task.id


def test_claim_counts_attempt_and_sets_lease(store: TaskStore) -> None:
    task_id = _new(store)
    claimed = store.claim(task_id, "w1", 30)
    assert claimed is not None
    assert claimed.state == TaskState.RUNNING
    assert claimed.attempts == 1
    assert claimed.lease_owner == "w1"
    assert claimed.lease_expires_at is not None
    assert 25 < (claimed.lease_expires_at - utcnow()).total_seconds() <= 30
    assert store.claim(task_id, "w2", 30) is None, "a held lease must not be claimed again"


def _race(store: TaskStore, task_id: int, workers: int) -> list[str]:
    barrier = threading.Barrier(workers)
    winners: list[str] = []

    def claim(worker: str) -> None:
        barrier.wait()
        if store.claim(task_id, worker, 30) is not None:
            winners.append(worker)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners


def test_concurrent_claims_only_one_wins(store: TaskStore) -> None:
    for _ in range(4):
        task_id = _new(store)
        winners = _race(store, task_id, 8)
        assert len(winners) == 1
        task = store.get(task_id)
        assert task is not None
        assert task.attempts == 1
        assert task.lease_owner == winners[0]


def test_expired_lease_is_reclaimed_and_old_owner_loses(store: TaskStore) -> None:
    task_id = _new(store)
    assert store.claim(task_id, "dead", 0.05) is not None
    time.sleep(0.1)
    assert store.expired_leases() == [task_id]
    again = store.claim(task_id, "alive", 30)
    assert again is not None
    assert again.attempts == 2
    assert not store.renew(task_id, "dead", 30)
    try:
        store.complete(task_id, "dead", {"late": True})
        raise AssertionError("a worker that lost its lease must not record a result")
    except LeaseLostError as exc:
        assert "dead" in str(exc)
    assert store.renew(task_id, "alive", 30)
    assert store.complete(task_id, "alive", {"ok": 1}) == []
    done = store.get(task_id)
    assert done is not None
    assert (done.state, done.result, done.lease_owner) == (TaskState.SUCCEEDED, {"ok": 1}, None)


def test_retry_backoff_then_final_failure(database: Database) -> None:
    store = TaskStore(
        database, retry=RetryPolicy(base_seconds=10, max_seconds=25), rng=random.Random(7)
    )
    task_id = _new(store, max_attempts=3)
    delays = []
    for attempt in (1, 2):
        assert store.claim(task_id, "w", 30) is not None
        before = utcnow()
        assert store.fail(task_id, "w", f"boom {attempt}", retry=True) is TaskState.QUEUED
        task = store.get(task_id)
        assert task is not None and task.run_after is not None
        delays.append((task.run_after - before).total_seconds())
        assert store.claim(task_id, "w", 30) is None, "claimed before its backoff ended"
        assert task_id not in store.ready_tasks()
        assert store.ready_tasks(now=task.run_after + timedelta(seconds=1)) == [task_id]
        with database.session() as session:  # let the backoff pass
            row = session.get(Task, task_id)
            assert row is not None
            row.run_after = utcnow() - timedelta(seconds=1)
    assert 5 <= delays[0] <= 15  # base 10 s, jitter 0.5..1.5
    assert 10 <= delays[1] <= 25 * 1.5  # 20 s doubled base, capped at 25 before jitter
    assert store.claim(task_id, "w", 30) is not None
    assert store.fail(task_id, "w", "boom 3", retry=True) is TaskState.FAILED
    task = store.get(task_id)
    assert task is not None
    assert (task.state, task.attempts, task.error) == (TaskState.FAILED, 3, "boom 3")
    assert task.finished_at is not None


def test_dependencies_gate_claims_and_failure_cascades(store: TaskStore) -> None:
    first = _new(store)
    second = _new(store, depends_on=(first,))
    third = _new(store, depends_on=(second,))
    assert store.ready_tasks() == [first]
    assert store.ready_tasks(quiet_seconds=60) == [], "just created: its creator enqueues it"
    assert store.claim(second, "w", 30) is None
    assert store.claim(first, "w", 30) is not None
    assert store.complete(first, "w", {}) == [second]
    assert store.claim(second, "w", 30) is not None
    assert store.fail(second, "w", "bad", retry=False) is TaskState.FAILED
    blocked = store.get(third)
    assert blocked is not None
    assert blocked.state == TaskState.CANCELLED
    assert blocked.error is not None and "depends on" in blocked.error


def test_cancel_queued_running_and_group(store: TaskStore) -> None:
    queued = _new(store, group_key="o/r#1")
    running = _new(store, group_key="o/r#1")
    other = _new(store, group_key="o/r#2")
    assert store.claim(running, "w", 30) is not None
    assert store.cancel_group("o/r#1") == {
        queued: TaskState.CANCELLED,
        running: TaskState.RUNNING,
    }
    assert store.is_cancel_requested(running)
    assert not store.is_cancel_requested(other)
    assert store.claim(queued, "w", 30) is None
    assert store.fail(running, "w", "stopped", retry=True) is TaskState.CANCELLED
    assert store.cancel(other) is TaskState.CANCELLED
    assert store.cancel(other) is TaskState.CANCELLED, "cancel is idempotent"
    assert store.cancel(999_999) is None
    states = {t.id: t.state for t in store.list(TaskFilter(group_key="o/r#1"))}
    assert states == {queued: TaskState.CANCELLED, running: TaskState.CANCELLED}


def test_abandoned_tasks_are_finalized(store: TaskStore) -> None:
    exhausted = _new(store, max_attempts=1)
    cancelled = _new(store)
    dependent = _new(store, depends_on=(exhausted,))
    assert store.claim(exhausted, "dead", 0.05) is not None
    assert store.claim(cancelled, "dead", 0.05) is not None
    store.cancel(cancelled)
    time.sleep(0.1)
    assert store.expired_leases() == [], "neither may run again"
    assert store.finalize_abandoned() == {
        exhausted: TaskState.FAILED,
        cancelled: TaskState.CANCELLED,
    }
    failed = store.get(exhausted)
    assert failed is not None and failed.error is not None
    assert "worker lost" in failed.error
    after = store.get(dependent)
    assert after is not None and after.state == TaskState.CANCELLED


def test_list_filters(store: TaskStore) -> None:
    a = _new(store, kind="plan", group_key="g")
    _new(store, kind="review")
    assert [t.id for t in store.list(TaskFilter(kind="plan"))] == [a]
    assert len(store.list(TaskFilter(state=TaskState.QUEUED.value, limit=1))) == 1
    assert store.list(TaskFilter(state=TaskState.RUNNING.value)) == []
    assert store.get(a) is not None and store.get(a + 1000) is None
