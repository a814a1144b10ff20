"""The writer gate: one writer at a time across tasks, event loops and threads.

A transaction spans several awaits, so the gate cannot be an ``asyncio.Lock`` (bound to
one loop) nor a lock taken on the writer's own thread (its later statements would
queue behind the waiters). It is a ``threading.Lock`` taken without blocking any event
loop: waiting happens on a small pool of waiter threads, and a waiter cancelled while
its thread still holds a pending acquire gives the lock back as soon as it gets it.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["WriterGate"]

_POLL_SECONDS = 0.05


class WriterGate:
    """A cross-loop, cross-thread mutex with an async ``acquire``.

    The owner of an open transaction is recorded in a context variable, so writes made
    by the task inside ``transaction()`` join it while every other writer waits.
    """

    def __init__(self, name: str) -> None:
        self._lock = threading.Lock()
        self._waiters = ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"{name}-wait")
        self.owner: contextvars.ContextVar[object | None] = contextvars.ContextVar(
            f"{name}-transaction", default=None
        )

    async def acquire(self) -> None:
        """Waits for the gate without blocking the event loop."""
        if self._lock.acquire(blocking=False):
            return
        loop = asyncio.get_running_loop()
        while True:
            future = self._waiters.submit(self._lock.acquire, True, _POLL_SECONDS)
            try:
                acquired = await asyncio.wrap_future(future, loop=loop)
            except asyncio.CancelledError:
                future.add_done_callback(self._release_if_acquired)
                raise
            if acquired:
                return

    def _release_if_acquired(self, future: Future[bool]) -> None:
        if not future.cancelled() and future.exception() is None and future.result():
            self._lock.release()

    def release(self) -> None:
        """Opens the gate for the next writer."""
        self._lock.release()

    def close(self) -> None:
        """Stops the waiter threads."""
        self._waiters.shutdown(wait=True)
