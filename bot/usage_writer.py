"""Writing usage rows off the request path.

A model call's usage is handed to a background thread that writes it to SQL in batches
(one transaction per `flush_seconds`, when the sink can take a batch), so a gateway
request does not wait for a database commit. The price: rows still in the buffer
when the process is killed (at most `flush_seconds` worth) are lost; `close()` flushes.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence

from agents.providers.usage_sinks import UsageRecord, UsageSink

log = logging.getLogger(__name__)


class BackgroundUsageSink:
    def __init__(self, inner: UsageSink, *, flush_seconds: float = 0.2) -> None:
        self._inner = inner
        self._flush_seconds = flush_seconds
        self._pending: queue.SimpleQueue[UsageRecord] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def record(self, usage: UsageRecord) -> None:
        # Only a put: the writer wakes on its own clock, so a call never hands the GIL
        # to it (a wake-up per call costs the request path about a millisecond under load).
        self._ensure_started()
        self._pending.put(usage)

    def close(self) -> None:
        """Write everything still buffered, then stop the writer."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=30)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stop,), name="usage-writer", daemon=True
                )
                self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        while True:
            stopping = stop.wait(self._flush_seconds)
            batch: list[UsageRecord] = []
            while True:
                try:
                    batch.append(self._pending.get_nowait())
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            if stopping:
                return

    def record_many(self, records: Sequence[UsageRecord]) -> None:
        for usage in records:
            self.record(usage)

    def _write(self, batch: list[UsageRecord]) -> None:
        try:
            self._inner.record_many(batch)
            return
        except Exception:
            log.exception("could not record a batch of usage; writing rows one by one")
        for usage in batch:
            try:
                self._inner.record(usage)
            except Exception:
                # One lost usage row must not stop the writer for every later call.
                log.exception("could not record usage", extra={"fields": {"model": usage.model}})
