"""Run events, shaped like Mastra's workflow chunks, and the fan-out to watchers."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["EVENT_TYPES", "Emitter", "Event", "Unwatch"]

Event = dict[str, Any]
"""``{"type": ..., "runId": ..., "from": "WORKFLOW", "payload": {...}}``."""

Unwatch = Callable[[], None]

logger = logging.getLogger("mastra.workflows")

EVENT_TYPES = (
    "workflow-start",
    "workflow-step-start",
    "workflow-step-result",
    "workflow-step-suspended",
    "workflow-step-waiting",
    "workflow-step-output",
    "workflow-step-finish",
    "workflow-finish",
    "workflow-canceled",
)


class Emitter:
    """Delivers a run's events to callbacks and stream queues, in order.

    Nothing is built when nobody listens (``active`` is False), so unwatched runs pay
    nothing per step.
    """

    __slots__ = ("_callbacks", "_parent", "_pending", "_queues", "active", "run_id")

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._callbacks: list[Callable[[Event], Any]] = []
        self._queues: list[asyncio.Queue[Event | None]] = []
        self._pending: set[asyncio.Future[Any]] = set()
        self._parent: tuple[Emitter, str] | None = None
        self.active = False

    def nested(self, step_id: str) -> Emitter:
        """The emitter of a nested workflow run by step ``step_id``: its step events
        reach this emitter's listeners as Mastra sends them, the id being the path
        of the nested step (``"inner.fetch"``, also as a list in ``payload["path"]``).
        The nested run's own start and finish are the step's start and result here.
        """
        child = Emitter(self.run_id)
        child._parent = (self, step_id)
        child.active = self.active
        return child

    def watch(self, callback: Callable[[Event], Any]) -> Unwatch:
        """Calls ``callback(event)`` for each event (a coroutine result is scheduled)."""
        self._callbacks.append(callback)
        self.active = True

        def unwatch() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
            self.active = bool(self._callbacks or self._queues)

        return unwatch

    def open_queue(self) -> asyncio.Queue[Event | None]:
        """A queue that receives every event, then None when the run pauses or ends."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._queues.append(queue)
        self.active = True
        return queue

    def close_queues(self) -> None:
        """Ends every stream queue."""
        for queue in self._queues:
            queue.put_nowait(None)
        self._queues.clear()
        self.active = bool(self._callbacks)

    def emit(self, type_: str, payload: dict[str, Any]) -> None:
        """Sends one event to everyone listening."""
        if self._parent is not None:
            if type_.startswith("workflow-step-"):
                parent, step_id = self._parent
                path = [step_id, *payload.get("path", [payload.get("id")])]
                parent.emit(type_, {**payload, "id": ".".join(map(str, path)), "path": path})
            return
        event: Event = {"type": type_, "runId": self.run_id, "from": "WORKFLOW", "payload": payload}
        for queue in self._queues:
            queue.put_nowait(event)
        for callback in list(self._callbacks):
            try:
                outcome = callback(event)
            except Exception:
                # A broken watcher must not break the run it watches.
                logger.exception("workflow watcher %r failed on %s", callback, type_)
                continue
            if inspect.isawaitable(outcome):
                task = asyncio.ensure_future(outcome)
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
