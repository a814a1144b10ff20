"""The records a store keeps, the pages it returns, and the :class:`Storage` protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

import orjson

from mastra.errors import StorageError

__all__ = [
    "AuditEntry",
    "Message",
    "MessagePage",
    "MessageRange",
    "Resource",
    "SortOrder",
    "Storage",
    "Thread",
    "ThreadPage",
    "WorkflowSnapshot",
]

SortOrder = Literal["asc", "desc"]
"""Chronological (``"asc"``, oldest first) or reverse (``"desc"``, newest first)."""

MessageRange = int | tuple[int, int]
"""Neighbours to include around a message: ``n`` (n before and n after) or ``(before, after)``."""


J = TypeVar("J")


def dumps(value: Any) -> str:
    """``value`` as JSON text.

    Raises:
        StorageError: The value is not JSON-serialisable.
    """
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError as exc:
        raise StorageError(f"value is not JSON-serialisable: {exc}") from None


def json_copy(value: J) -> J:
    """A deep copy of ``value`` as it would come back from a JSON store."""
    result: J = orjson.loads(dumps(value))
    return result


def utcnow() -> datetime:
    """Now, as an aware UTC datetime with microsecond precision."""
    return datetime.now(timezone.utc)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime of :func:`to_micros` (exact integer arithmetic)."""
    return _EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True)
class Thread:
    """A conversation, owned by a resource (a user, an account...).

    Attributes:
        id: Unique id of the thread.
        resource_id: The owner; threads are listed per resource.
        title: Optional display title.
        metadata: Free JSON-serialisable data.
        created_at: When the thread was created (UTC).
        updated_at: When it or its messages last changed (UTC).
    """

    id: str
    resource_id: str
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Message:
    """One message of a thread.

    Attributes:
        id: Unique id; saving a message whose id exists replaces it.
        thread_id: The thread it belongs to (which must exist when it is saved).
        role: ``"system"``, ``"user"``, ``"assistant"`` or ``"tool"``.
        content: The message parts, as JSON-serialisable dicts (``{"type": "text", ...}``).
        resource_id: The owner of the thread, if known.
        created_at: When the message was written (UTC); messages are ordered by it,
            then by the order in which they were first saved.
    """

    id: str
    thread_id: str
    role: str
    content: list[dict[str, Any]]
    resource_id: str | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Resource:
    """What a store remembers about a resource across its threads.

    Attributes:
        id: The resource's id (as in :attr:`Thread.resource_id`).
        working_memory: Working memory as text or a JSON object, or None.
        metadata: Free JSON-serialisable data.
        created_at: When the resource was first written (UTC).
        updated_at: When it last changed (UTC).
    """

    id: str
    working_memory: str | dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class WorkflowSnapshot:
    """The saved state of one workflow run.

    Attributes:
        workflow_name: The workflow's name.
        run_id: The run's id, unique per workflow.
        snapshot: The run's state as a JSON object.
        status: The run's status (``"running"``, ``"suspended"``, ``"success"``...).
        updated_at: When the snapshot was last saved (UTC).
    """

    workflow_name: str
    run_id: str
    snapshot: dict[str, Any]
    status: str
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who did, or was refused, what.

    Attributes:
        principal: Who acted (``"anonymous"`` when unauthenticated).
        action: What was asked (``"POST /api/agents/{agentId}/generate"``...).
        target: What it was asked of (the request path).
        outcome: The HTTP status, or why it was refused (``"forbidden"``...).
        request_id: The request's id, to find its log line.
        time: When it happened (UTC).
        id: Its position in the log (0 until stored).
    """

    principal: str
    action: str
    target: str
    outcome: str
    request_id: str | None = None
    time: datetime = field(default_factory=utcnow)
    id: int = 0


@dataclass(frozen=True)
class ThreadPage:
    """One page of a resource's threads, newest first.

    Attributes:
        threads: The threads of this page.
        total: How many threads the resource has.
        has_more: Whether a later page exists.
    """

    threads: list[Thread]
    total: int
    has_more: bool


@dataclass(frozen=True)
class MessagePage:
    """One page of a thread's messages.

    Attributes:
        messages: The messages of this page, in the order asked for.
        next_cursor: Pass it back to get the next page; None on the last page.
    """

    messages: list[Message]
    next_cursor: str | None


def encode_cursor(created_us: int, seq: int) -> str:
    """An opaque cursor for the position just after a message."""
    return f"{created_us:x}.{seq:x}"


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The ``(created_us, seq)`` of :func:`encode_cursor`.

    Raises:
        StorageError: The cursor was not made by a store.
    """
    try:
        created, seq = cursor.split(".")
        return int(created, 16), int(seq, 16)
    except ValueError:
        raise StorageError(f"invalid message cursor {cursor!r}", cursor=cursor) from None


def neighbour_range(message_range: MessageRange) -> tuple[int, int]:
    """``(before, after)`` of a :data:`MessageRange`, checked to be non-negative."""
    before, after = (
        (message_range, message_range) if isinstance(message_range, int) else message_range
    )
    if before < 0 or after < 0:
        raise StorageError(
            f"message_range must be non-negative, got {message_range!r}",
            message_range=message_range,
        )
    return before, after


def check_page(limit: int, offset: int = 0) -> None:
    """Rejects a non-positive limit or a negative offset."""
    if limit < 1 or offset < 0:
        raise StorageError(
            f"limit must be >= 1 and offset >= 0, got limit={limit} offset={offset}",
            limit=limit,
            offset=offset,
        )


@runtime_checkable
class Storage(Protocol):
    """Where agents keep threads, messages, working memory and workflow state.

    Every method is a coroutine and never blocks the event loop. Writes are atomic one
    by one; ``async with storage.transaction():`` makes several atomic together.
    Implementations: :class:`~mastra.storage.SQLiteStorage` (a file, the embedded
    default) and :class:`~mastra.storage.InMemoryStorage` (the reference, for tests).
    """

    async def create_thread(
        self,
        *,
        resource_id: str,
        id: str | None = None,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Thread:
        """Creates a thread (a new uuid4 id when ``id`` is None); an existing id raises."""
        ...

    async def get_thread(self, thread_id: str) -> Thread | None:
        """The thread, or None."""
        ...

    async def update_thread(
        self,
        thread_id: str,
        *,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Thread:
        """Sets the title and merges ``metadata`` into the thread's; unknown ids raise."""
        ...

    async def delete_thread(self, thread_id: str) -> bool:
        """Deletes a thread and its messages; False if there was none."""
        ...

    async def list_threads(
        self, resource_id: str, *, limit: int = 20, offset: int = 0
    ) -> ThreadPage:
        """A page of the resource's threads, newest first."""
        ...

    async def save_messages(self, messages: Sequence[Message]) -> list[Message]:
        """Saves messages in one write, replacing any with the same id."""
        ...

    async def get_last_messages(self, thread_id: str, n: int) -> list[Message]:
        """The last ``n`` messages of a thread, oldest first."""
        ...

    async def list_messages(
        self,
        thread_id: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        order: SortOrder = "asc",
    ) -> MessagePage:
        """A page of a thread's messages; pass ``next_cursor`` back for the next one."""
        ...

    async def get_messages(
        self, ids: Sequence[str], *, message_range: MessageRange = 0
    ) -> list[Message]:
        """Messages by id with their neighbours in their threads, oldest first."""
        ...

    async def delete_messages(self, ids: Sequence[str]) -> int:
        """Deletes messages by id; returns how many existed."""
        ...

    async def get_resource(self, resource_id: str) -> Resource | None:
        """The resource, or None."""
        ...

    async def update_resource(
        self,
        resource_id: str,
        *,
        working_memory: str | dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Resource:
        """Creates or updates a resource: replaces working memory, merges metadata."""
        ...

    async def save_workflow_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any], *, status: str
    ) -> WorkflowSnapshot:
        """Saves (or replaces) the whole snapshot of a workflow run (step records
        saved by :meth:`save_workflow_run` are dropped; its lease is kept)."""
        ...

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
        """Saves a run step by step, in one transaction: what it costs does not grow
        with the run.

        ``header`` (the snapshot's JSON without ``"context"``) replaces the run's; each
        of ``steps`` (step id -> that step's record as JSON) replaces that step's
        record, and the records not given are kept. :meth:`load_workflow_snapshot`
        returns the header with every record under ``"context"`` (in first-saved order).

        With ``owner`` the write is also a lease on the run: it happens only if no
        other owner holds an unexpired lease, and leaves the lease to ``owner`` for
        ``lease_ms`` from now (released when ``lease_ms`` is 0). With ``renew`` too,
        it happens only if the lease is still ``owner``'s (lapsed or not): an owner
        whose lease was taken over cannot overwrite its successor's saves. Without
        ``owner`` the lease is neither checked nor changed.

        Returns:
            None when written; else (nothing was written) the owner of the lease that
            refused the write, or ``""`` when a renewal found the lease nobody's.
        """
        ...

    async def release_workflow_lease(self, workflow_name: str, run_id: str, owner: str) -> bool:
        """Ends ``owner``'s lease on a run (its process is known dead); False if the
        run is not leased to ``owner``."""
        ...

    async def load_workflow_snapshot(
        self, workflow_name: str, run_id: str
    ) -> WorkflowSnapshot | None:
        """The saved snapshot of a run, or None."""
        ...

    async def list_workflow_snapshots(
        self,
        workflow_name: str | None = None,
        *,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[WorkflowSnapshot]:
        """Snapshots, most recently updated first, optionally of one workflow or status."""
        ...

    async def delete_workflow_snapshot(self, workflow_name: str, run_id: str) -> bool:
        """Deletes the snapshot of a run; False if there was none."""
        ...

    async def append_audit(self, entry: AuditEntry) -> AuditEntry:
        """Appends an entry to the audit log (never changed afterwards); returns it
        with its ``id``."""
        ...

    async def list_audit(
        self, *, principal: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        """Audit entries, newest first, optionally of one principal."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Makes the writes inside the block atomic: all kept, or none on an exception."""
        ...

    async def close(self) -> None:
        """Releases the store's connections and threads."""
        ...
