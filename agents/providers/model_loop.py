"""One event loop per process that every model call runs on.

Provider clients (the SDKs' async HTTP clients and their connection pools, the concurrency
semaphores) belong to the event loop that first used them. Callers come from many loops:
each agent task runs on a fresh `asyncio.run`, `ask` answers from a worker thread, `/v1`
calls come from the server's loop. Rather than tracking clients per caller loop, the `LLM`
owns one long-lived loop in a daemon thread and submits every call to it, so clients are
made, used and closed on the same loop whatever the caller's shape.

After a `fork` (RQ's work-horse) the parent's thread does not exist in the child: the first
call in the child starts a fresh loop and `on_fork` lets the owner forget clients that were
bound to the parent's loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class ModelLoop:
    def __init__(
        self, *, name: str = "codemonkey-models", on_fork: Callable[[], None] | None = None
    ) -> None:
        self._name = name
        self._on_fork = on_fork
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def _current(self) -> asyncio.AbstractEventLoop:
        """The model loop, started on first use (and again in a forked child)."""
        with self._lock:
            if self._pid != os.getpid():
                # Forked: the parent's loop thread is not running here.
                self._pid = os.getpid()
                self._loop, self._thread = None, None
                if self._on_fork is not None:
                    self._on_fork()
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=_run_forever, args=(loop,), name=self._name, daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await `coroutine` on the model loop from any event loop."""
        loop = self._current()
        if _running_loop() is loop:
            return await coroutine
        # Cancelling the caller cancels the call on the model loop too.
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))

    def run_sync(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the model loop from synchronous code (not from the loop)."""
        loop = self._current()
        if _running_loop() is loop:
            coroutine.close()
            raise RuntimeError("run_sync was called on the model loop itself; await run()")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    async def iterate(self, iterator: AsyncIterator[T]) -> AsyncIterator[T]:
        """Consume an async iterator that lives on the model loop, item by item."""
        loop = self._current()
        if _running_loop() is loop:
            async for item in iterator:
                yield item
            return
        finished = False
        try:
            while True:
                future = asyncio.run_coroutine_threadsafe(_next_item(iterator), loop)
                items = await asyncio.wrap_future(future)
                if not items:
                    finished = True
                    return
                yield items[0]
        finally:
            close = getattr(iterator, "aclose", None)
            if not finished and close is not None and not loop.is_closed():
                # The caller stopped early: end the producer on its own loop.
                closing = asyncio.run_coroutine_threadsafe(close(), loop)
                await asyncio.wrap_future(closing)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop thread (the next call starts a new one)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop, self._thread = None, None
        if loop is None or thread is None or self._pid != os.getpid():
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout)
        if not thread.is_alive():
            loop.close()


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def _next_item(iterator: AsyncIterator[T]) -> list[T]:
    """The next item as a one-item list, or an empty list at the end (an exception cannot
    carry `StopAsyncIteration` across the loops)."""
    try:
        return [await anext(iterator)]
    except StopAsyncIteration:
        return []
