"""The embedded queue: worker threads in this process, fed from an in-memory id queue.

Nothing here is durable and nothing needs to be: SQL holds every task, and the reaper
re-offers ready and abandoned tasks, so ids lost with the process are found again on the
next start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from bot.queue.reaper import Reaper
from bot.queue.runner import TaskRunner, default_worker_id
from storage.tasks import TaskStore

log = logging.getLogger("codemonkey.queue.inprocess")

RunnerFactory = Callable[["InProcessQueue"], TaskRunner]


class InProcessQueue:
    """A `TaskQueue` and its worker pool. The runner is built from the queue (it enqueues
    dependents back onto it), hence the factory."""

    def __init__(
        self,
        store: TaskStore,
        runner_factory: RunnerFactory,
        *,
        threads: int,
        reaper_interval_seconds: float,
    ) -> None:
        self._store = store
        self._runner = runner_factory(self)
        self._threads_wanted = threads
        self._reaper = Reaper(store, self, interval_seconds=reaper_interval_seconds)
        self._lock = threading.Condition()
        self._waiting: deque[int] = deque()
        self._waiting_set: set[int] = set()
        self._active = 0
        self._stopping = False
        self._drain = True
        self._threads: list[threading.Thread] = []

    @property
    def store(self) -> TaskStore:
        return self._store

    # TaskQueue

    def enqueue(self, task_ids: Iterable[int]) -> None:
        with self._lock:
            for task_id in task_ids:
                if task_id not in self._waiting_set:
                    self._waiting.append(task_id)
                    self._waiting_set.add(task_id)
            self._lock.notify_all()

    def depth(self) -> int:
        with self._lock:
            return len(self._waiting)

    # Pool lifecycle

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("the pool is already running; call stop() before start()")
        self._stopping = False
        for index in range(self._threads_wanted):
            thread = threading.Thread(
                target=self._work, args=(index,), name=f"task-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self._reaper.start()

    def stop(self, drain: bool = True) -> None:
        """Stop the workers. With drain, ids already waiting run first; without, they stay
        behind in SQL (queued) for the next start to pick up. Running handlers always
        finish (or observe cancellation); threads are joined."""
        self._reaper.stop()
        with self._lock:
            self._stopping = True
            self._drain = drain
            if not drain:
                self._waiting.clear()
                self._waiting_set.clear()
            self._lock.notify_all()
        for thread in self._threads:
            thread.join()
        self._threads = []
        self._runner.close()

    def run_until_idle(self, timeout: float) -> bool:
        """Wait until no id waits, no handler runs and SQL holds no unfinished task,
        re-offering due tasks meanwhile (retries after backoff, lost leases).
        Returns False if that did not happen within `timeout` seconds."""
        if not self._threads:
            raise RuntimeError("start() the pool before run_until_idle()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = bool(self._waiting) or self._active > 0
            if not busy and self._store.count_unfinished() == 0:
                return True
            if not busy:
                self._reaper.reap_once()
            time.sleep(0.02)
        return False

    def _take(self) -> int | None:
        with self._lock:
            while True:
                if self._waiting and not (self._stopping and not self._drain):
                    task_id = self._waiting.popleft()
                    self._waiting_set.discard(task_id)
                    self._active += 1
                    return task_id
                if self._stopping:
                    return None
                self._lock.wait()

    def _work(self, index: int) -> None:
        worker_id = default_worker_id(f"t{index}")
        while (task_id := self._take()) is not None:
            try:
                self._runner.run(task_id, worker_id)
            except Exception:
                # SQL unreachable mid-run: the task keeps its row; the reaper re-offers it.
                log.exception("running task %s failed outside its handler", task_id)
            finally:
                with self._lock:
                    self._active -= 1
                    self._lock.notify_all()
