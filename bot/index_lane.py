"""The background lane for indexing: one low-priority thread per process.

Indexing is the one task that is all CPU (the embedding model) for minutes. It runs here,
not on the worker thread that claimed it, so that:
- the operating system schedules it after webhook acks and agent steps (the thread's nice
  value is raised; with the local embedder's single onnxruntime thread the model runs on
  this thread, so the whole embedding yields to the rest of the process and machine);
- at most one index builds at a time per process: a second index task finds the lane
  busy and is deferred (back to the queue, the attempt not counted), so index tasks never
  occupy more than one worker thread and agent tasks keep the others.

Beside the build thread the lane has `threads` embedding threads, as low in priority, so
an index uses every idle core (one model run per thread) and none that other work wants.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger("codemonkey.index")

T = TypeVar("T")
# Linux nice values run from -20 (first) to 19 (last); 10 leaves room for lower still.
NICE = 10


class LaneBusyError(Exception):
    """Another index is being built in this process."""


def lower_thread_priority(nice: int) -> None:
    """Raise the nice value of the calling thread only (Linux schedules threads one by
    one; elsewhere this would renice the whole process, so it is skipped)."""
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, max(current, nice))
    except OSError as exc:  # a sandbox may forbid it; indexing still works, unprioritised
        log.warning("could not lower the indexing thread's priority (%s)", exc)


class IndexLane:
    """Runs one index build at a time on a dedicated low-priority thread."""

    def __init__(self, *, nice: int = NICE, threads: int | None = None) -> None:
        self._nice = nice
        self.threads = max(1, threads or os.cpu_count() or 1)
        self._busy = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._embedders: ThreadPoolExecutor | None = None
        self._start = threading.Lock()

    def run(self, work: Callable[[Executor], T]) -> T:
        """Run `work(embedders)` on the lane and wait for it; `embedders` is the lane's
        pool of embedding threads. LaneBusyError if the lane is taken."""
        if not self._busy.acquire(blocking=False):
            raise LaneBusyError("an index is already being built in this process")
        try:
            builder, embedders = self._pools()
            return builder.submit(work, embedders).result()
        finally:
            self._busy.release()

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    def close(self) -> None:
        with self._start:
            pools = (self._executor, self._embedders)
            self._executor = self._embedders = None
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=True)

    def _pools(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        # Built on first use: constructing the lane starts no thread.
        with self._start:
            if self._executor is None or self._embedders is None:
                self._executor = self._low_priority_pool(1, "index-lane")
                self._embedders = self._low_priority_pool(self.threads, "index-embed")
            return self._executor, self._embedders

    def _low_priority_pool(self, size: int, name: str) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(
            max_workers=size,
            thread_name_prefix=name,
            initializer=lower_thread_priority,
            initargs=(self._nice,),
        )
