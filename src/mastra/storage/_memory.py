"""The in-memory reference store: dicts of frozen records, same contract as SQLite."""

from __future__ import annotations

import bisect
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import orjson

from mastra.errors import StorageError
from mastra.storage._context import ThreadContext, recall_anchors, recall_plan, thread_context
from mastra.storage._gate import WriterGate
from mastra.storage._types import (
    AuditEntry,
    Message,
    MessagePage,
    MessageRange,
    Resource,
    SortOrder,
    Thread,
    ThreadPage,
    WorkflowSnapshot,
    check_page,
    decode_cursor,
    dumps,
    encode_cursor,
    json_copy,
    neighbour_range,
    to_micros,
    utcnow,
)

__all__ = ["InMemoryStorage"]

T = TypeVar("T")


@dataclass(frozen=True)
class _SavedRun:
    """A run as saved: its header's JSON, each step record's JSON, and its lease (the
    JSON is parsed on each read, so readers never share objects with the store)."""

    workflow_name: str
    run_id: str
    header: bytes
    status: str
    updated_at: datetime
    steps: dict[str, bytes] = field(default_factory=dict)
    lease_owner: str | None = None
    lease_expires: int = 0

    def view(self) -> WorkflowSnapshot:
        snapshot = orjson.loads(self.header)
        if self.steps:
            context = snapshot.setdefault("context", {})
            context.update((sid, orjson.loads(rec)) for sid, rec in self.steps.items())
        return WorkflowSnapshot(
            self.workflow_name, self.run_id, snapshot, self.status, self.updated_at
        )

    def refuses(self, owner: str, renew: bool, now: int) -> bool:
        if self.lease_owner == owner:
            return False
        return renew or (self.lease_owner is not None and self.lease_expires > now)


_Row = tuple[int, int, Message]  # (created_at in microseconds, seq, message)


@dataclass
class _State:
    threads: dict[str, Thread] = field(default_factory=dict)
    messages: dict[str, tuple[int, Message]] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    snapshots: dict[tuple[str, str], _SavedRun] = field(default_factory=dict)
    seq: int = 0
    audit: list[AuditEntry] = field(default_factory=list)
    # Each thread's messages in their order, kept sorted by every write, so that a
    # read costs the size of its answer instead of a scan and a sort of the store.
    ordered: dict[str, list[_Row]] = field(default_factory=dict)

    def copy(self) -> _State:
        # Records are frozen, so copying the containers is a full snapshot.
        return _State(
            dict(self.threads),
            dict(self.messages),
            dict(self.resources),
            dict(self.snapshots),
            self.seq,
            list(self.audit),
            {thread_id: list(rows) for thread_id, rows in self.ordered.items()},
        )

    def thread_messages(self, thread_id: str) -> list[_Row]:
        """The thread's messages, oldest first (the list itself: do not change it)."""
        return self.ordered.get(thread_id, [])

    def put_message(self, message: Message) -> None:
        """Adds or replaces a message (a replaced one keeps its place in saving order)."""
        old = self.messages.get(message.id)
        if old is None:
            self.seq += 1
            seq = self.seq
        else:
            seq = old[0]
            self._unlink(old[1], seq)
        self.messages[message.id] = (seq, message)
        row = (to_micros(message.created_at), seq, message)
        rows = self.ordered.setdefault(message.thread_id, [])
        if not rows or rows[-1][:2] < row[:2]:
            rows.append(row)  # the usual case: a new message is the latest
        else:
            rows.insert(bisect.bisect_left(rows, row[:2], key=_order), row)

    def pop_message(self, message_id: str) -> bool:
        """Removes a message; False if there was none."""
        old = self.messages.pop(message_id, None)
        if old is None:
            return False
        self._unlink(old[1], old[0])
        return True

    def drop_thread_messages(self, thread_id: str) -> None:
        for _, _, message in self.ordered.pop(thread_id, []):
            del self.messages[message.id]

    def _unlink(self, message: Message, seq: int) -> None:
        rows = self.ordered[message.thread_id]
        at = bisect.bisect_left(rows, (to_micros(message.created_at), seq), key=_order)
        del rows[at]
        if not rows:
            del self.ordered[message.thread_id]

    def position(self, message: Message, seq: int) -> int:
        """Where a stored message is in its thread's list."""
        rows = self.ordered[message.thread_id]
        return bisect.bisect_left(rows, (to_micros(message.created_at), seq), key=_order)

    def with_neighbours(self, ids: Sequence[str], before: int, after: int) -> list[Message]:
        """Messages by id with their neighbours, oldest first."""
        chosen: dict[str, _Row] = {}
        for message_id in ids:
            found = self.messages.get(message_id)
            if found is None:
                continue
            rows = self.thread_messages(found[1].thread_id)
            at = self.position(found[1], found[0])
            for row in rows[max(0, at - before) : at + after + 1]:
                chosen[row[2].id] = row
        return [m for _, _, m in sorted(chosen.values(), key=_order)]


def _order(row: _Row) -> tuple[int, int]:
    return row[0], row[1]


class InMemoryStorage:
    """A :class:`~mastra.storage.Storage` that keeps everything in process memory.

    The reference implementation: what :class:`~mastra.storage.SQLiteStorage` must
    match, and a fast store for tests. Safe to share between tasks, event loops and
    threads; ``transaction()`` works on a private copy that replaces the live state
    only when the block succeeds, so other readers never see a half-done transaction.

    Example:
        >>> import asyncio
        >>> from mastra.storage import InMemoryStorage, Message
        >>> async def main() -> int:
        ...     async with InMemoryStorage() as store:
        ...         thread = await store.create_thread(resource_id="user-1")
        ...         await store.save_messages(
        ...             [Message("m1", thread.id, "user", [{"type": "text", "text": "hi"}])]
        ...         )
        ...         return len(await store.get_last_messages(thread.id, 10))
        >>> asyncio.run(main())
        1
    """

    def __init__(self) -> None:
        self._state = _State()
        self._mutex = threading.Lock()
        self._gate = WriterGate("mastra-memory")
        self._closed = False

    # ---- plumbing ------------------------------------------------------------------

    def _current(self) -> _State | None:
        owner = self._gate.owner.get()
        return owner if isinstance(owner, _State) else None

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the store is closed")

    async def _read(self, fn: Callable[[_State], T]) -> T:
        self._check_open()
        tx = self._current()
        if tx is not None:
            return fn(tx)
        with self._mutex:
            return fn(self._state)

    async def _write(self, fn: Callable[[_State], T]) -> T:
        self._check_open()
        tx = self._current()
        if tx is not None:
            return fn(tx)
        await self._gate.acquire()
        try:
            with self._mutex:
                # Every operation checks before it changes anything, so an error
                # leaves the state as it was.
                return fn(self._state)
        finally:
            self._gate.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Makes the writes inside the block atomic (nested blocks join the outer one).

        Example:
            >>> async def move(store, message):  # doctest: +SKIP
            ...     async with store.transaction():
            ...         await store.delete_messages([message.id])
            ...         await store.save_messages([replace(message, id="new")])
        """
        self._check_open()
        if self._current() is not None:
            yield
            return
        await self._gate.acquire()
        try:
            with self._mutex:
                work = self._state.copy()
            token = self._gate.owner.set(work)
            try:
                yield
            finally:
                self._gate.owner.reset(token)
            with self._mutex:
                self._state = work
        finally:
            self._gate.release()

    async def close(self) -> None:
        """Closes the store; later calls raise :class:`~mastra.errors.StorageError`."""
        if not self._closed:
            self._closed = True
            self._gate.close()

    async def __aenter__(self) -> InMemoryStorage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- threads -------------------------------------------------------------------

    async def create_thread(
        self,
        *,
        resource_id: str,
        id: str | None = None,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Thread:
        """Creates a thread (a new uuid4 id when ``id`` is None); an existing id raises."""
        now = utcnow()
        thread = Thread(
            id or str(uuid.uuid4()), resource_id, title, json_copy(metadata or {}), now, now
        )

        def op(state: _State) -> Thread:
            if thread.id in state.threads:
                raise StorageError(f"thread {thread.id!r} already exists", thread_id=thread.id)
            state.threads[thread.id] = thread
            return thread

        return await self._write(op)

    async def get_thread(self, thread_id: str) -> Thread | None:
        """The thread, or None."""
        return await self._read(lambda state: state.threads.get(thread_id))

    async def update_thread(
        self,
        thread_id: str,
        *,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Thread:
        """Sets the title and merges ``metadata`` into the thread's; unknown ids raise."""

        def op(state: _State) -> Thread:
            old = state.threads.get(thread_id)
            if old is None:
                raise StorageError(f"thread {thread_id!r} does not exist", thread_id=thread_id)
            new = replace(
                old,
                title=old.title if title is None else title,
                metadata={**old.metadata, **json_copy(metadata or {})},
                updated_at=utcnow(),
            )
            state.threads[thread_id] = new
            return new

        return await self._write(op)

    async def delete_thread(self, thread_id: str) -> bool:
        """Deletes a thread and its messages; False if there was none."""

        def op(state: _State) -> bool:
            if state.threads.pop(thread_id, None) is None:
                return False
            state.drop_thread_messages(thread_id)
            return True

        return await self._write(op)

    async def list_threads(
        self, resource_id: str, *, limit: int = 20, offset: int = 0
    ) -> ThreadPage:
        """A page of the resource's threads, newest first."""
        check_page(limit, offset)

        def op(state: _State) -> ThreadPage:
            mine = [t for t in state.threads.values() if t.resource_id == resource_id]
            mine.sort(key=lambda t: (to_micros(t.created_at), t.id), reverse=True)
            page = mine[offset : offset + limit]
            return ThreadPage(page, len(mine), offset + len(page) < len(mine))

        return await self._read(op)

    # ---- messages ------------------------------------------------------------------

    async def save_messages(self, messages: Sequence[Message]) -> list[Message]:
        """Saves messages in one write, replacing any with the same id."""
        saved = [replace(m, content=json_copy(m.content)) for m in messages]

        def op(state: _State) -> list[Message]:
            missing = sorted({m.thread_id for m in saved} - state.threads.keys())
            if missing:
                raise StorageError(f"threads {missing} do not exist", thread_ids=missing)
            now = utcnow()
            for message in saved:
                state.put_message(message)
            for thread_id in {m.thread_id for m in saved}:
                state.threads[thread_id] = replace(state.threads[thread_id], updated_at=now)
            return saved

        return await self._write(op)

    async def get_last_messages(self, thread_id: str, n: int) -> list[Message]:
        """The last ``n`` messages of a thread, oldest first."""
        check_page(n)
        return await self._read(lambda s: [m for _, _, m in s.thread_messages(thread_id)[-n:]])

    async def list_messages(
        self,
        thread_id: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        order: SortOrder = "asc",
    ) -> MessagePage:
        """A page of a thread's messages; pass ``next_cursor`` back for the next one."""
        check_page(limit)
        after = decode_cursor(cursor) if cursor is not None else None

        def op(state: _State) -> MessagePage:
            rows = state.thread_messages(thread_id)
            if order == "asc":
                start = 0 if after is None else bisect.bisect_right(rows, after, key=_order)
                rows = rows[start : start + limit + 1]
            else:
                end = len(rows) if after is None else bisect.bisect_left(rows, after, key=_order)
                rows = rows[max(0, end - limit - 1) : end][::-1]
            page = rows[:limit]
            more = len(rows) > limit
            next_cursor = encode_cursor(page[-1][0], page[-1][1]) if more else None
            return MessagePage([m for _, _, m in page], next_cursor)

        return await self._read(op)

    async def get_messages(
        self, ids: Sequence[str], *, message_range: MessageRange = 0
    ) -> list[Message]:
        """Messages by id with their neighbours in their threads, oldest first."""
        before, after = neighbour_range(message_range)

        return await self._read(lambda state: state.with_neighbours(ids, before, after))

    async def load_context(
        self,
        thread_id: str,
        *,
        last: int,
        thread: bool = False,
        resource_id: str | None = None,
        recall: Sequence[str] = (),
        recall_limit: int = 0,
        message_range: MessageRange = 0,
    ) -> ThreadContext:
        """A turn's view of a thread in one read (see
        :class:`~mastra.storage.ContextLoader`)."""
        ids, limit, before, after = recall_plan(last, recall, recall_limit, message_range)

        def op(state: _State) -> ThreadContext:
            recent = [m for _, _, m in state.thread_messages(thread_id)[-last:]] if last else []
            anchors = recall_anchors(recent, ids, limit)
            return thread_context(
                state.threads.get(thread_id) if thread else None,
                state.resources.get(resource_id) if resource_id is not None else None,
                recent,
                state.with_neighbours(anchors, before, after),
            )

        return await self._read(op)

    async def delete_messages(self, ids: Sequence[str]) -> int:
        """Deletes messages by id; returns how many existed."""

        def op(state: _State) -> int:
            return sum(state.pop_message(i) for i in set(ids))

        return await self._write(op)

    # ---- resources -----------------------------------------------------------------

    async def get_resource(self, resource_id: str) -> Resource | None:
        """The resource, or None."""
        return await self._read(lambda state: state.resources.get(resource_id))

    async def update_resource(
        self,
        resource_id: str,
        *,
        working_memory: str | dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Resource:
        """Creates or updates a resource: replaces working memory, merges metadata."""

        def op(state: _State) -> Resource:
            now = utcnow()
            old = state.resources.get(resource_id) or Resource(resource_id, None, {}, now, now)
            new = replace(
                old,
                working_memory=(
                    old.working_memory if working_memory is None else json_copy(working_memory)
                ),
                metadata={**old.metadata, **json_copy(metadata or {})},
                updated_at=now,
            )
            state.resources[resource_id] = new
            return new

        return await self._write(op)

    # ---- workflow snapshots --------------------------------------------------------

    async def save_workflow_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any], *, status: str
    ) -> WorkflowSnapshot:
        """Saves (or replaces) the whole snapshot of a workflow run."""
        header = dumps(snapshot).encode()
        record = WorkflowSnapshot(workflow_name, run_id, orjson.loads(header), status)

        def op(state: _State) -> WorkflowSnapshot:
            key = (workflow_name, run_id)
            old = state.snapshots.get(key)
            saved = _SavedRun(workflow_name, run_id, header, status, record.updated_at)
            if old is not None:
                saved = replace(saved, lease_owner=old.lease_owner, lease_expires=old.lease_expires)
            state.snapshots[key] = saved
            return record

        return await self._write(op)

    async def save_workflow_run(
        self,
        workflow_name: str,
        run_id: str,
        header: bytes,
        steps: Mapping[str, bytes],
        *,
        status: str,
        owner: str | None = None,
        lease_ms: int = 0,
        renew: bool = False,
    ) -> str | None:
        """Saves a run's header and changed step records in one write, taking or
        renewing ``owner``'s lease (see :meth:`Storage.save_workflow_run`)."""
        changed = dict(steps)

        def op(state: _State) -> str | None:
            key = (workflow_name, run_id)
            now = utcnow()
            micros = to_micros(now)
            old = state.snapshots.get(key)
            lease_owner, lease_expires = (
                (None, 0) if old is None else (old.lease_owner, old.lease_expires)
            )
            if owner is not None:
                if old is not None and old.refuses(owner, renew, micros):
                    return old.lease_owner or ""
                held = lease_ms > 0
                lease_owner = owner if held else None
                lease_expires = micros + lease_ms * 1000 if held else 0
            merged = {**old.steps, **changed} if old is not None and old.steps else changed
            state.snapshots[key] = _SavedRun(
                workflow_name, run_id, header, status, now, merged, lease_owner, lease_expires
            )
            return None

        return await self._write(op)

    async def release_workflow_lease(self, workflow_name: str, run_id: str, owner: str) -> bool:
        """Ends ``owner``'s lease on a run; False if the run is not leased to it."""

        def op(state: _State) -> bool:
            key = (workflow_name, run_id)
            old = state.snapshots.get(key)
            if old is None or old.lease_owner != owner:
                return False
            state.snapshots[key] = replace(old, lease_owner=None, lease_expires=0)
            return True

        return await self._write(op)

    async def load_workflow_snapshot(
        self, workflow_name: str, run_id: str
    ) -> WorkflowSnapshot | None:
        """The saved snapshot of a run, or None."""
        saved = await self._read(lambda state: state.snapshots.get((workflow_name, run_id)))
        return None if saved is None else saved.view()

    async def list_workflow_snapshots(
        self,
        workflow_name: str | None = None,
        *,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[WorkflowSnapshot]:
        """Snapshots, most recently updated first, optionally of one workflow or status."""
        check_page(limit, offset)

        def op(state: _State) -> list[WorkflowSnapshot]:
            rows = [
                s
                for s in state.snapshots.values()
                if (workflow_name is None or s.workflow_name == workflow_name)
                and (status is None or s.status == status)
            ]
            rows.sort(
                key=lambda s: (to_micros(s.updated_at), s.workflow_name, s.run_id), reverse=True
            )
            return [s.view() for s in rows[offset : offset + limit]]

        return await self._read(op)

    async def delete_workflow_snapshot(self, workflow_name: str, run_id: str) -> bool:
        """Deletes the snapshot of a run; False if there was none."""
        return await self._write(
            lambda state: state.snapshots.pop((workflow_name, run_id), None) is not None
        )

    # ---- audit log ------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> AuditEntry:
        """Appends an entry to the audit log; returns it with its ``id``."""

        def op(state: _State) -> AuditEntry:
            stored = replace(entry, id=len(state.audit) + 1)
            state.audit.append(stored)
            return stored

        return await self._write(op)

    async def list_audit(
        self, *, principal: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        """Audit entries, newest first, optionally of one principal."""
        check_page(limit, offset)

        def op(state: _State) -> list[AuditEntry]:
            rows = [e for e in reversed(state.audit) if principal in (None, e.principal)]
            return rows[offset : offset + limit]

        return await self._read(op)
