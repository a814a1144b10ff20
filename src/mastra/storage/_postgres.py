"""A :class:`~mastra.storage.Storage` on PostgreSQL, shared by workers on many hosts."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, TypeVar

import psycopg

from mastra._pg import Conn, Pool, describe_dsn, make_pool, map_postgres_error
from mastra.errors import StorageError
from mastra.storage import _pg_ops as ops
from mastra.storage._context import ThreadContext, recall_plan
from mastra.storage._pg_schema import migrate
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

__all__ = ["PostgresStorage"]

T = TypeVar("T")


class _Transaction:
    """The connection a ``transaction()`` block holds, and the lock that keeps tasks
    sharing the block from interleaving their savepoints."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()


class PostgresStorage:
    """A :class:`~mastra.storage.Storage` on PostgreSQL, for workers on several hosts.

    Connections come from a pool (``psycopg_pool``) that checks each one before lending
    it, so after the server restarts the next call reconnects by itself: a call that
    was in flight fails with :class:`~mastra.errors.StorageUnavailableError`
    (retriable), the next succeeds. Each call is one transaction; concurrent writers on
    other hosts are ordered by row locks. The tables, versions and migrations are the
    SQLite store's, recorded in the same version table; an older schema is upgraded
    when opened, a newer one raises :class:`~mastra.errors.StorageError`.

    Args:
        dsn: A libpq connection string or URL (``postgresql://user@host:5432/db``).
        schema: The PostgreSQL schema holding the tables (created if missing); None
            uses the connection's ``search_path``.
        min_connections: Connections the pool keeps open.
        max_connections: The most connections it opens.
        timeout: Seconds to wait for a connection (at open, or when all are busy or
            the server is down) before raising ``StorageUnavailableError``.

    The pool is opened on first use (or by ``async with``/:meth:`open`) and belongs to
    the event loop that opened it.

    Example:
        >>> import asyncio
        >>> from mastra.storage import Message, PostgresStorage
        >>> async def main(dsn: str) -> list[str]:  # doctest: +SKIP
        ...     async with PostgresStorage(dsn) as store:
        ...         await store.create_thread(resource_id="user-1", id="t1")
        ...         hello = [{"type": "text", "text": "hello"}]
        ...         await store.save_messages([Message("m1", "t1", "user", hello)])
        ...         return [m.id for m in await store.get_last_messages("t1", 20)]
        >>> asyncio.run(main("postgresql://mastra@127.0.0.1/mastra"))  # doctest: +SKIP
        ['m1']
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        min_connections: int = 1,
        max_connections: int = 10,
        timeout: float = 10.0,
    ) -> None:
        if not 0 <= min_connections <= max_connections or max_connections < 1:
            raise StorageError(
                "need 0 <= min_connections <= max_connections and max_connections >= 1, "
                f"got {min_connections} and {max_connections}",
                min_connections=min_connections,
                max_connections=max_connections,
            )
        self.dsn = dsn
        self.schema = schema
        self.where = describe_dsn(dsn) + (f" (schema {schema})" if schema else "")
        self._min = min_connections
        self._max = max_connections
        self._timeout = timeout
        self._pool: Pool | None = None
        self._open_lock: asyncio.Lock | None = None
        self._closed = False
        self._tx: contextvars.ContextVar[_Transaction | None] = contextvars.ContextVar(
            f"mastra-postgres-{id(self)}", default=None
        )

    # ---- opening and closing -------------------------------------------------------

    async def open(self) -> None:
        """Opens the pool and creates or upgrades the schema (later calls do nothing).

        Raises:
            StorageUnavailableError: The server cannot be reached within ``timeout``.
            StorageError: The schema was written by a newer mastra, or the server
                refused the setup.
        """
        if self._pool is not None and not self._closed:
            return
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if self._closed:
                raise StorageError("the store is closed", where=self.where)
            if self._pool is None:
                try:
                    self._pool = await self._open_pool()
                except psycopg.Error as exc:
                    raise map_postgres_error(exc, self.where) from exc

    async def _open_pool(self) -> Pool:
        async def setup(conn: Conn) -> None:
            await migrate(conn, self.where)

        return await make_pool(
            self.dsn,
            schema=self.schema,
            min_size=self._min,
            max_size=self._max,
            timeout=self._timeout,
            name="mastra-storage",
            setup=setup,
        )

    async def close(self) -> None:
        """Waits for connections in use to come back, then closes the pool."""
        if self._closed:
            return
        self._closed = True
        if self._pool is not None:
            await self._pool.close()

    async def __aenter__(self) -> PostgresStorage:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- running SQL ----------------------------------------------------------------

    def _ready_pool(self) -> Pool:
        if self._closed or self._pool is None:
            raise StorageError("the store is closed", where=self.where)
        return self._pool

    async def _run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Runs ``fn(conn, *args)`` in its own transaction, or, inside a
        ``transaction()`` block, in a savepoint of the block's (a failure undoes
        only itself)."""
        if self._closed:
            raise StorageError("the store is closed", where=self.where)
        await self.open()
        tx = self._tx.get()
        try:
            if tx is not None:
                async with tx.lock, tx.conn.transaction():
                    return await fn(tx.conn, *args)
            async with self._ready_pool().connection() as conn, conn.transaction():
                return await fn(conn, *args)
        except psycopg.Error as exc:
            raise map_postgres_error(exc, self.where) from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Makes the writes inside the block atomic: committed together at the end, or
        rolled back if the block raises (nested blocks join the outer one).

        The block holds one pooled connection; other callers see nothing of it until
        it commits, and wait only where they write the same rows.

        Example:
            >>> async def rename(store, thread_id):  # doctest: +SKIP
            ...     async with store.transaction():
            ...         await store.update_thread(thread_id, title="renamed")
            ...         await store.update_resource("user-1", metadata={"renamed": True})
        """
        await self.open()
        if self._tx.get() is not None:
            yield
            return
        try:
            async with self._ready_pool().connection() as conn, conn.transaction():
                token = self._tx.set(_Transaction(conn))
                try:
                    yield
                finally:
                    self._tx.reset(token)
        except psycopg.Error as exc:
            raise map_postgres_error(exc, self.where) from exc

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
        return await self._run(ops.insert_thread, thread)

    async def get_thread(self, thread_id: str) -> Thread | None:
        """The thread, or None."""
        return await self._run(ops.get_thread, thread_id)

    async def update_thread(
        self,
        thread_id: str,
        *,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Thread:
        """Sets the title and merges ``metadata`` into the thread's; unknown ids raise."""
        return await self._run(ops.update_thread, thread_id, title, metadata)

    async def delete_thread(self, thread_id: str) -> bool:
        """Deletes a thread and its messages; False if there was none."""
        return await self._run(ops.delete_thread, thread_id)

    async def list_threads(
        self, resource_id: str, *, limit: int = 20, offset: int = 0
    ) -> ThreadPage:
        """A page of the resource's threads, newest first."""
        check_page(limit, offset)
        return await self._run(ops.list_threads, resource_id, limit, offset)

    # ---- messages ------------------------------------------------------------------

    async def save_messages(self, messages: Sequence[Message]) -> list[Message]:
        """Saves messages in one transaction, replacing any with the same id."""
        if not messages:
            return []
        return await self._run(ops.save_messages, list(messages))

    async def get_last_messages(self, thread_id: str, n: int) -> list[Message]:
        """The last ``n`` messages of a thread, oldest first."""
        check_page(n)
        return await self._run(ops.get_last_messages, thread_id, n)

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
        return await self._run(ops.list_messages, thread_id, limit, after, order)

    async def get_messages(
        self, ids: Sequence[str], *, message_range: MessageRange = 0
    ) -> list[Message]:
        """Messages by id with their neighbours in their threads, oldest first."""
        before, after = neighbour_range(message_range)
        return await self._run(ops.get_messages, list(ids), before, after)

    async def delete_messages(self, ids: Sequence[str]) -> int:
        """Deletes messages by id; returns how many existed."""
        return await self._run(ops.delete_messages, list(ids))

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
        """A turn's view of a thread in one transaction on one pooled connection (see
        :class:`~mastra.storage.ContextLoader`), instead of a connection per part."""
        plan = recall_plan(last, recall, recall_limit, message_range)
        return await self._run(ops.load_context, thread_id, last, thread, resource_id, plan)

    # ---- resources -----------------------------------------------------------------

    async def get_resource(self, resource_id: str) -> Resource | None:
        """The resource, or None."""
        return await self._run(ops.get_resource, resource_id)

    async def update_resource(
        self,
        resource_id: str,
        *,
        working_memory: str | dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Resource:
        """Creates or updates a resource: replaces working memory, merges metadata."""
        return await self._run(ops.update_resource, resource_id, working_memory, metadata)

    # ---- workflow snapshots --------------------------------------------------------

    async def save_workflow_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any], *, status: str
    ) -> WorkflowSnapshot:
        """Saves (or replaces) the snapshot of a workflow run."""
        record = WorkflowSnapshot(workflow_name, run_id, snapshot, status, utcnow())
        return await self._run(ops.save_snapshot, record)

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
        return await self._run(ops.save_run, key, header, steps, status, lease)

    async def release_workflow_lease(self, workflow_name: str, run_id: str, owner: str) -> bool:
        """Ends ``owner``'s lease on a run; False if the run is not leased to it."""
        return await self._run(ops.release_lease, (workflow_name, run_id), owner)

    async def load_workflow_snapshot(
        self, workflow_name: str, run_id: str
    ) -> WorkflowSnapshot | None:
        """The saved snapshot of a run, or None."""
        return await self._run(ops.load_snapshot, workflow_name, run_id)

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
        return await self._run(ops.list_snapshots, workflow_name, status, limit, offset)

    async def delete_workflow_snapshot(self, workflow_name: str, run_id: str) -> bool:
        """Deletes the snapshot of a run; False if there was none."""
        return await self._run(ops.delete_snapshot, workflow_name, run_id)

    # ---- audit log ------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> AuditEntry:
        """Appends an entry to the audit log; returns it with its ``id``."""
        return await self._run(ops.append_audit, entry)

    async def list_audit(
        self, *, principal: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        """Audit entries, newest first, optionally of one principal."""
        check_page(limit, offset)
        return await self._run(ops.list_audit, principal, limit, offset)
