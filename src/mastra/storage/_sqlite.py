"""The embedded default store: one SQLite file in WAL mode, used off the event loop."""

from __future__ import annotations

import asyncio
import os
import queue
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Literal, TypeVar

from mastra._sqlite_wal import WalCheckpointer
from mastra.errors import StorageError
from mastra.storage import _sqlite_ops as ops
from mastra.storage._context import ThreadContext, recall_plan
from mastra.storage._gate import WriterGate
from mastra.storage._schema import migrate
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
    neighbour_range,
    utcnow,
)

__all__ = ["SQLiteStorage", "Synchronous"]

T = TypeVar("T")
Synchronous = Literal["NORMAL", "FULL", "EXTRA"]
"""SQLite's ``synchronous`` setting: when a commit waits for the disk (see the class)."""


class _Transaction:
    """Marks the task that holds the writer inside ``transaction()``."""


def _connect(path: str, *, synchronous: str, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


class SQLiteStorage:
    """A :class:`~mastra.storage.Storage` in one SQLite file: the embedded default.

    The file is opened in WAL mode with foreign keys on and a ``busy_timeout``, so
    readers never wait for the writer and other processes wait instead of failing.
    One connection writes (on its own thread) and a small pool reads (on theirs):
    every SQLite call runs off the event loop, and any number of tasks, event loops
    and threads may share one store. The schema is versioned; an older file is
    upgraded when opened, a newer one raises :class:`~mastra.errors.StorageError`.

    Durability: a call that returned has committed. With ``synchronous="NORMAL"`` (the
    default) a commit survives the process being killed at any moment; after a power
    loss or OS crash the last few commits may be lost, but the file is never corrupt.
    ``"FULL"`` also survives power loss, at the cost of an fsync per commit.

    Args:
        path: The database file (created with its directory's permissions if missing).
        synchronous: SQLite's ``synchronous`` pragma: ``"NORMAL"``, ``"FULL"`` or
            ``"EXTRA"``.
        readers: Connections in the read pool (>= 1).
        busy_timeout: Seconds to wait for another process's write lock.

    The file is opened on first use (or by ``async with``/:meth:`open`).

    Example:
        >>> import asyncio, tempfile, os
        >>> from mastra.storage import Message, SQLiteStorage
        >>> async def main(path: str) -> list[str]:
        ...     async with SQLiteStorage(path) as store:
        ...         thread = await store.create_thread(resource_id="user-1", id="t1")
        ...         hello = [{"type": "text", "text": "hello"}]
        ...         await store.save_messages([Message("m1", "t1", "user", hello)])
        ...         return [m.id for m in await store.get_last_messages("t1", 20)]
        >>> asyncio.run(main(os.path.join(tempfile.mkdtemp(), "mastra.db")))
        ['m1']
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "NORMAL",
        readers: int = 4,
        busy_timeout: float = 5.0,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL", "EXTRA"):
            raise StorageError(f"unknown synchronous mode {synchronous!r}", synchronous=synchronous)
        if readers < 1:
            raise StorageError(f"readers must be >= 1, got {readers}", readers=readers)
        self.path = os.fspath(path)
        self._synchronous = synchronous
        self._busy_ms = int(busy_timeout * 1000)
        self._n_readers = readers
        self._gate = WriterGate("mastra-sqlite")
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="mastra-sqlite-writer")
        self._reader_pool = ThreadPoolExecutor(readers, thread_name_prefix="mastra-sqlite-reader")
        self._writer: sqlite3.Connection | None = None
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all: list[sqlite3.Connection] = []
        self._open_lock = threading.Lock()
        self._wal = WalCheckpointer(self.path)  # checkpoints off the commit path
        self._closed = False

    # ---- opening and closing -------------------------------------------------------

    def _open_sync(self) -> None:
        with self._open_lock:
            if self._closed:
                raise StorageError("the store is closed", path=self.path)
            if self._writer is not None:
                return
            writer = _connect(
                self.path, synchronous=self._synchronous, busy_timeout_ms=self._busy_ms
            )
            try:
                mode = writer.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StorageError(f"{self.path} cannot use WAL mode", path=self.path)
                self._wal.attach(writer)
                migrate(writer, self.path)
                for _ in range(self._n_readers):
                    reader = _connect(
                        self.path, synchronous=self._synchronous, busy_timeout_ms=self._busy_ms
                    )
                    reader.execute("PRAGMA query_only = ON")
                    self._all.append(reader)
                    self._readers.put(reader)
            except BaseException:
                writer.close()
                for conn in self._all:
                    conn.close()
                self._all.clear()
                raise
            self._all.append(writer)
            self._writer = writer

    async def open(self) -> None:
        """Opens the file, creating or upgrading its schema (later calls do nothing).

        Raises:
            StorageError: The file cannot be opened, is not a database, or was written
                by a newer schema version.
        """
        if self._writer is None:
            await self._call(self._writer_pool, self._open_sync)

    async def close(self) -> None:
        """Waits for running calls, then closes every connection and worker thread."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._close_sync)

    def _close_sync(self) -> None:
        self._writer_pool.shutdown(wait=True)
        self._reader_pool.shutdown(wait=True)
        self._gate.close()
        self._wal.close()
        with self._open_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            self._writer = None

    async def __aenter__(self) -> SQLiteStorage:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- running SQL off the loop --------------------------------------------------

    async def _call(self, pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise StorageError("the store is closed", path=self.path)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, fn, *args)
        except sqlite3.Error as exc:
            raise StorageError(f"SQLite error on {self.path}: {exc}", path=self.path) from exc
        except RuntimeError as exc:
            if self._closed:
                raise StorageError("the store is closed", path=self.path) from exc
            raise

    def _in_transaction(self) -> bool:
        return isinstance(self._gate.owner.get(), _Transaction)

    def _writer_conn(self) -> sqlite3.Connection:
        if self._writer is None:
            raise StorageError("the store is closed", path=self.path)
        return self._writer

    def _autocommit(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = self._writer_conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn, *args)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._wal.committed()
        return result

    def _joined(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = self._writer_conn()
        # A failed statement inside a transaction undoes only itself.
        conn.execute("SAVEPOINT mastra_statement")
        try:
            result = fn(conn, *args)
        except BaseException:
            conn.execute("ROLLBACK TO mastra_statement")
            conn.execute("RELEASE mastra_statement")
            raise
        conn.execute("RELEASE mastra_statement")
        return result

    def _snapshot_read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = self._readers.get()
        try:
            conn.execute("BEGIN")
            try:
                return fn(conn, *args)
            finally:
                conn.execute("COMMIT")
        finally:
            self._readers.put(conn)

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        await self.open()
        if self._in_transaction():
            return await self._call(self._writer_pool, self._joined, fn, args)
        await self._gate.acquire()
        try:
            return await self._call(self._writer_pool, self._autocommit, fn, args)
        finally:
            self._gate.release()

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        await self.open()
        if self._in_transaction():
            # Inside a transaction, reads see its own uncommitted writes.
            return await self._call(self._writer_pool, fn, self._writer_conn(), *args)
        return await self._call(self._reader_pool, self._snapshot_read, fn, args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Makes the writes inside the block atomic: committed together at the end, or
        rolled back if the block raises (nested blocks join the outer one).

        Other writers wait until the block ends; readers outside it see nothing of it
        until it commits.

        Example:
            >>> async def rename(store, thread_id):  # doctest: +SKIP
            ...     async with store.transaction():
            ...         await store.update_thread(thread_id, title="renamed")
            ...         await store.update_resource("user-1", metadata={"renamed": True})
        """
        await self.open()
        if self._in_transaction():
            yield
            return
        await self._gate.acquire()
        try:
            conn = self._writer_conn()
            await self._call(self._writer_pool, conn.execute, "BEGIN IMMEDIATE")
            token = self._gate.owner.set(_Transaction())
            try:
                yield
            except BaseException:
                self._gate.owner.reset(token)
                await asyncio.shield(self._call(self._writer_pool, conn.execute, "ROLLBACK"))
                raise
            self._gate.owner.reset(token)
            await asyncio.shield(self._call(self._writer_pool, conn.execute, "COMMIT"))
            self._wal.committed()
        finally:
            self._gate.release()

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
        thread = Thread(id or str(uuid.uuid4()), resource_id, title, metadata or {}, now, now)
        return await self._write(ops.insert_thread, thread)

    async def get_thread(self, thread_id: str) -> Thread | None:
        """The thread, or None."""
        return await self._read(ops.get_thread, thread_id)

    async def update_thread(
        self,
        thread_id: str,
        *,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Thread:
        """Sets the title and merges ``metadata`` into the thread's; unknown ids raise."""
        return await self._write(ops.update_thread, thread_id, title, metadata)

    async def delete_thread(self, thread_id: str) -> bool:
        """Deletes a thread and its messages; False if there was none."""
        return await self._write(ops.delete_thread, thread_id)

    async def list_threads(
        self, resource_id: str, *, limit: int = 20, offset: int = 0
    ) -> ThreadPage:
        """A page of the resource's threads, newest first."""
        check_page(limit, offset)
        return await self._read(ops.list_threads, resource_id, limit, offset)

    # ---- messages ------------------------------------------------------------------

    async def save_messages(self, messages: Sequence[Message]) -> list[Message]:
        """Saves messages in one transaction, replacing any with the same id."""
        if not messages:
            return []
        return await self._write(ops.save_messages, list(messages))

    async def get_last_messages(self, thread_id: str, n: int) -> list[Message]:
        """The last ``n`` messages of a thread, oldest first."""
        check_page(n)
        return await self._read(ops.get_last_messages, thread_id, n)

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
        return await self._read(ops.list_messages, thread_id, limit, after, order)

    async def get_messages(
        self, ids: Sequence[str], *, message_range: MessageRange = 0
    ) -> list[Message]:
        """Messages by id with their neighbours in their threads, oldest first."""
        before, after = neighbour_range(message_range)
        return await self._read(ops.get_messages, list(ids), before, after)

    async def delete_messages(self, ids: Sequence[str]) -> int:
        """Deletes messages by id; returns how many existed."""
        return await self._write(ops.delete_messages, list(ids))

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
        """A turn's view of a thread in one snapshot read (see
        :class:`~mastra.storage.ContextLoader`): one trip to a reader thread instead
        of one per part."""
        plan = recall_plan(last, recall, recall_limit, message_range)
        return await self._read(ops.load_context, thread_id, last, thread, resource_id, plan)

    # ---- resources -----------------------------------------------------------------

    async def get_resource(self, resource_id: str) -> Resource | None:
        """The resource, or None."""
        return await self._read(ops.get_resource, resource_id)

    async def update_resource(
        self,
        resource_id: str,
        *,
        working_memory: str | dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Resource:
        """Creates or updates a resource: replaces working memory, merges metadata."""
        return await self._write(ops.update_resource, resource_id, working_memory, metadata)

    # ---- workflow snapshots --------------------------------------------------------

    async def save_workflow_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any], *, status: str
    ) -> WorkflowSnapshot:
        """Saves (or replaces) the snapshot of a workflow run."""
        record = WorkflowSnapshot(workflow_name, run_id, snapshot, status, utcnow())
        return await self._write(ops.save_snapshot, record)

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
        """Saves a run's header and changed step records in one transaction, taking
        or renewing ``owner``'s lease (see :meth:`Storage.save_workflow_run`)."""
        lease = None if owner is None else (owner, lease_ms, renew)
        key = (workflow_name, run_id)
        return await self._write(ops.save_run, key, header, steps, status, lease)

    async def release_workflow_lease(self, workflow_name: str, run_id: str, owner: str) -> bool:
        """Ends ``owner``'s lease on a run; False if the run is not leased to it."""
        return await self._write(ops.release_lease, (workflow_name, run_id), owner)

    async def load_workflow_snapshot(
        self, workflow_name: str, run_id: str
    ) -> WorkflowSnapshot | None:
        """The saved snapshot of a run, or None."""
        return await self._read(ops.load_snapshot, workflow_name, run_id)

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
        return await self._read(ops.list_snapshots, workflow_name, status, limit, offset)

    async def delete_workflow_snapshot(self, workflow_name: str, run_id: str) -> bool:
        """Deletes the snapshot of a run; False if there was none."""
        return await self._write(ops.delete_snapshot, workflow_name, run_id)

    # ---- audit log ------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> AuditEntry:
        """Appends an entry to the audit log; returns it with its ``id``."""
        return await self._write(ops.append_audit, entry)

    async def list_audit(
        self, *, principal: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        """Audit entries, newest first, optionally of one principal."""
        check_page(limit, offset)
        return await self._read(ops.list_audit, principal, limit, offset)
