"""Writing usage rows off the request path.

A model call's usage is handed to a background thread that writes it to SQL in batches, so
a gateway request does not wait for a database commit. The price: rows still in the buffer
when the process is killed (at most `flush_seconds` worth) are lost; `close()` flushes.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from agents.providers.usage import UsageSink

log = logging.getLogger(__name__)

_STOP = object()


class BackgroundUsageSink:
    def __init__(self, inner: UsageSink, *, flush_seconds: float = 0.2) -> None:
        self._inner = inner
        self._flush_seconds = flush_seconds
        self._pending: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def record(self, **call: Any) -> None:
        self._ensure_started()
        self._pending.put(call)

    def close(self) -> None:
        """Write everything still buffered, then stop the writer."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._pending.put(_STOP)
            thread.join(timeout=30)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="usage-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._pending.get()
            if item is _STOP:
                return
            try:
                self._inner.record(**item)
            except Exception:
                # One lost usage row must not stop the writer for every later call.
                log.exception("could not record usage", extra={"fields": {"model": item["model"]}})
