"""The SQL of :class:`~mastra.storage.PostgresStorage`: coroutines of one connection.

Each function runs inside a transaction opened by the caller. Read-then-write
functions lock the rows they read (``FOR UPDATE``) so that concurrent workers on other
hosts cannot interleave between the read and the write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson
from psycopg import AsyncConnection, errors

from mastra.errors import StorageError
from mastra.storage._context import RecallPlan, ThreadContext, recall_anchors, thread_context
from mastra.storage._types import (
    AuditEntry,
    Message,
    MessagePage,
    Resource,
    SortOrder,
    Thread,
    ThreadPage,
    WorkflowSnapshot,
    dumps,
    encode_cursor,
    from_micros,
    to_micros,
    utcnow,
)

Conn = AsyncConnection[Any]
_Row = tuple[Any, ...]

_THREAD = "SELECT id, resource_id, title, metadata, created_at, updated_at FROM threads"
_MESSAGE = "SELECT created_at, seq, id, thread_id, resource_id, role, content FROM messages"
_SNAPSHOT = "SELECT workflow_name, run_id, snapshot, status, updated_at FROM workflow_snapshots"
_AUDIT = "SELECT principal, action, target, outcome, request_id, time, id FROM audit_log"


def _thread(row: _Row) -> Thread:
    return Thread(
        row[0], row[1], row[2], orjson.loads(row[3]), from_micros(row[4]), from_micros(row[5])
    )


def _message(row: _Row) -> Message:
    return Message(row[2], row[3], row[5], orjson.loads(row[6]), row[4], from_micros(row[0]))


def _snapshot(row: _Row) -> WorkflowSnapshot:
    return WorkflowSnapshot(row[0], row[1], orjson.loads(row[2]), row[3], from_micros(row[4]))


async def _one(conn: Conn, query: str, params: Sequence[Any] = ()) -> _Row | None:
    cur = await conn.execute(query, params)
    row: _Row | None = await cur.fetchone()
    return row


async def _all(conn: Conn, query: str, params: Sequence[Any] = ()) -> list[_Row]:
    cur = await conn.execute(query, params)
    rows: list[_Row] = await cur.fetchall()
    return rows


# ---- threads -------------------------------------------------------------------------


async def insert_thread(conn: Conn, thread: Thread) -> Thread:
    params = (
        thread.id,
        thread.resource_id,
        thread.title,
        dumps(thread.metadata),
        to_micros(thread.created_at),
        to_micros(thread.updated_at),
    )
    try:
        await conn.execute("INSERT INTO threads VALUES (%s, %s, %s, %s, %s, %s)", params)
    except errors.UniqueViolation:
        raise StorageError(f"thread {thread.id!r} already exists", thread_id=thread.id) from None
    return thread


async def get_thread(conn: Conn, thread_id: str, *, lock: bool = False) -> Thread | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await _one(conn, f"{_THREAD} WHERE id = %s{suffix}", (thread_id,))
    return _thread(row) if row else None


async def update_thread(
    conn: Conn, thread_id: str, title: str | None, metadata: dict[str, Any] | None
) -> Thread:
    old = await get_thread(conn, thread_id, lock=True)
    if old is None:
        raise StorageError(f"thread {thread_id!r} does not exist", thread_id=thread_id)
    merged = {**old.metadata, **orjson.loads(dumps(metadata or {}))}
    new = Thread(
        old.id,
        old.resource_id,
        old.title if title is None else title,
        merged,
        old.created_at,
        utcnow(),
    )
    await conn.execute(
        "UPDATE threads SET title = %s, metadata = %s, updated_at = %s WHERE id = %s",
        (new.title, dumps(merged), to_micros(new.updated_at), thread_id),
    )
    return new


async def delete_thread(conn: Conn, thread_id: str) -> bool:
    cur = await conn.execute("DELETE FROM threads WHERE id = %s", (thread_id,))
    return cur.rowcount > 0


async def list_threads(conn: Conn, resource_id: str, limit: int, offset: int) -> ThreadPage:
    count = await _one(conn, "SELECT count(*) FROM threads WHERE resource_id = %s", (resource_id,))
    total = int(count[0]) if count else 0
    rows = await _all(
        conn,
        f"{_THREAD} WHERE resource_id = %s ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
        (resource_id, limit, offset),
    )
    return ThreadPage([_thread(r) for r in rows], total, offset + len(rows) < total)


# ---- messages ------------------------------------------------------------------------


async def save_messages(conn: Conn, messages: Sequence[Message]) -> list[Message]:
    thread_ids = sorted({m.thread_id for m in messages})
    # Locking the threads orders concurrent saves to one thread and keeps them alive.
    found = {
        row[0]
        for row in await _all(
            conn, "SELECT id FROM threads WHERE id = ANY(%s) FOR UPDATE", (thread_ids,)
        )
    }
    missing = [t for t in thread_ids if t not in found]
    if missing:
        raise StorageError(f"threads {missing} do not exist", thread_ids=missing)
    rows = [
        (m.id, m.thread_id, m.resource_id, m.role, dumps(m.content), to_micros(m.created_at))
        for m in messages
    ]
    async with conn.cursor() as cur:
        await cur.executemany(
            """INSERT INTO messages (id, thread_id, resource_id, role, content, created_at)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (id) DO UPDATE SET thread_id = excluded.thread_id,
                   resource_id = excluded.resource_id, role = excluded.role,
                   content = excluded.content, created_at = excluded.created_at""",
            rows,
        )
    await conn.execute(
        "UPDATE threads SET updated_at = %s WHERE id = ANY(%s)",
        (to_micros(utcnow()), sorted(found)),
    )
    return [
        Message(m.id, m.thread_id, m.role, orjson.loads(r[4]), m.resource_id, m.created_at)
        for m, r in zip(messages, rows, strict=True)
    ]


async def get_last_messages(conn: Conn, thread_id: str, n: int) -> list[Message]:
    rows = await _all(
        conn,
        f"{_MESSAGE} WHERE thread_id = %s ORDER BY created_at DESC, seq DESC LIMIT %s",
        (thread_id, n),
    )
    return [_message(r) for r in reversed(rows)]


async def list_messages(
    conn: Conn, thread_id: str, limit: int, after: tuple[int, int] | None, order: SortOrder
) -> MessagePage:
    direction, compare = ("ASC", ">") if order == "asc" else ("DESC", "<")
    where = "thread_id = %s"
    params: list[Any] = [thread_id]
    if after is not None:
        where += f" AND (created_at, seq) {compare} (%s, %s)"
        params += after
    rows = await _all(
        conn,
        f"{_MESSAGE} WHERE {where} ORDER BY created_at {direction}, seq {direction} LIMIT %s",
        (*params, limit + 1),
    )
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1][0], page[-1][1]) if len(rows) > limit else None
    return MessagePage([_message(r) for r in page], next_cursor)


async def get_messages(conn: Conn, ids: Sequence[str], before: int, after: int) -> list[Message]:
    chosen: dict[str, _Row] = {}
    for anchor in await _all(conn, f"{_MESSAGE} WHERE id = ANY(%s)", (list(ids),)):
        chosen[anchor[2]] = anchor
        key = (anchor[3], anchor[0], anchor[1])
        for compare, direction, count in (("<", "DESC", before), (">", "ASC", after)):
            if count == 0:
                continue
            rows = await _all(
                conn,
                f"{_MESSAGE} WHERE thread_id = %s AND (created_at, seq) {compare} (%s, %s) "
                f"ORDER BY created_at {direction}, seq {direction} LIMIT %s",
                (*key, count),
            )
            chosen.update((row[2], row) for row in rows)
    ordered = sorted(chosen.values(), key=lambda row: (row[0], row[1]))
    return [_message(r) for r in ordered]


async def load_context(
    conn: Conn,
    thread_id: str,
    last: int,
    with_thread: bool,
    resource_id: str | None,
    recall: RecallPlan,
) -> ThreadContext:
    """A turn's reads on one connection; ``recall`` is (ids, limit, before, after)."""
    ids, limit, before, after = recall
    recent = await get_last_messages(conn, thread_id, last) if last > 0 else []
    anchors = recall_anchors(recent, ids, limit)
    return thread_context(
        await get_thread(conn, thread_id) if with_thread else None,
        await get_resource(conn, resource_id) if resource_id is not None else None,
        recent,
        await get_messages(conn, anchors, before, after) if anchors else [],
    )


async def delete_messages(conn: Conn, ids: Sequence[str]) -> int:
    cur = await conn.execute("DELETE FROM messages WHERE id = ANY(%s)", (list(ids),))
    return cur.rowcount


# ---- resources -----------------------------------------------------------------------


async def get_resource(conn: Conn, resource_id: str, *, lock: bool = False) -> Resource | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await _one(
        conn,
        "SELECT id, working_memory, metadata, created_at, updated_at FROM resources "
        f"WHERE id = %s{suffix}",
        (resource_id,),
    )
    if row is None:
        return None
    memory = None if row[1] is None else orjson.loads(row[1])
    return Resource(row[0], memory, orjson.loads(row[2]), from_micros(row[3]), from_micros(row[4]))


async def update_resource(
    conn: Conn,
    resource_id: str,
    working_memory: str | dict[str, Any] | None,
    metadata: dict[str, Any] | None,
) -> Resource:
    now = utcnow()
    # Two workers creating one resource: the loser of the insert race waits on the
    # winner's row lock, then merges into what it wrote.
    await conn.execute(
        """INSERT INTO resources VALUES (%s, NULL, '{}', %s, %s)
           ON CONFLICT (id) DO NOTHING""",
        (resource_id, to_micros(now), to_micros(now)),
    )
    old = await get_resource(conn, resource_id, lock=True)
    if old is None:  # pragma: no cover - the row was inserted just above
        raise StorageError(f"resource {resource_id!r} vanished", resource_id=resource_id)
    memory = old.working_memory if working_memory is None else working_memory
    merged = {**old.metadata, **orjson.loads(dumps(metadata or {}))}
    new = Resource(resource_id, json_round_trip(memory), merged, old.created_at, now)
    await conn.execute(
        "UPDATE resources SET working_memory = %s, metadata = %s, updated_at = %s WHERE id = %s",
        (None if memory is None else dumps(memory), dumps(merged), to_micros(now), resource_id),
    )
    return new


def json_round_trip(value: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
    """``value`` as it comes back from the store."""
    if value is None:
        return None
    back: str | dict[str, Any] = orjson.loads(dumps(value))
    return back


# ---- workflow snapshots --------------------------------------------------------------


async def save_snapshot(conn: Conn, record: WorkflowSnapshot) -> WorkflowSnapshot:
    text = dumps(record.snapshot)
    key = (record.workflow_name, record.run_id)
    await conn.execute(
        """INSERT INTO workflow_snapshots (workflow_name, run_id, snapshot, status, updated_at)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (workflow_name, run_id) DO UPDATE SET snapshot = excluded.snapshot,
               status = excluded.status, updated_at = excluded.updated_at""",
        (*key, text, record.status, to_micros(record.updated_at)),
    )
    await conn.execute("DELETE FROM workflow_steps WHERE workflow_name = %s AND run_id = %s", key)
    return WorkflowSnapshot(
        record.workflow_name, record.run_id, orjson.loads(text), record.status, record.updated_at
    )


_SAVE_RUN = """INSERT INTO workflow_snapshots (workflow_name, run_id, snapshot, status, updated_at)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (workflow_name, run_id) DO UPDATE SET snapshot = excluded.snapshot,
        status = excluded.status, updated_at = excluded.updated_at"""

# The lease is taken (or renewed, or released) by the write itself: a row leased to
# another owner until later than now is left alone, and no row changes; a renewal
# also leaves alone a row whose lease is no longer the owner's.
_SAVE_LEASED_RUN = """INSERT INTO workflow_snapshots
        (workflow_name, run_id, snapshot, status, updated_at, lease_owner, lease_expires)
    VALUES (%(wf)s, %(run)s, %(header)s, %(status)s, %(now)s, %(holder)s, %(until)s)
    ON CONFLICT (workflow_name, run_id) DO UPDATE SET snapshot = excluded.snapshot,
        status = excluded.status, updated_at = excluded.updated_at,
        lease_owner = excluded.lease_owner, lease_expires = excluded.lease_expires
    WHERE workflow_snapshots.lease_owner = %(owner)s OR (NOT %(renew)s AND (
        workflow_snapshots.lease_owner IS NULL OR workflow_snapshots.lease_expires <= %(now)s))"""

_LEASE_OWNER = "SELECT lease_owner FROM workflow_snapshots WHERE workflow_name = %s AND run_id = %s"

_SAVE_STEP = """INSERT INTO workflow_steps (workflow_name, run_id, step_id, record)
    VALUES (%s, %s, %s, %s)
    ON CONFLICT (workflow_name, run_id, step_id) DO UPDATE SET record = excluded.record"""


async def save_run(
    conn: Conn,
    key: tuple[str, str],
    header: bytes,
    steps: Mapping[str, bytes],
    status: str,
    lease: tuple[str, int, bool] | None,
) -> str | None:
    now = to_micros(utcnow())
    if lease is None:
        await conn.execute(_SAVE_RUN, (*key, header.decode(), status, now))
    else:
        owner, lease_ms, renew = lease
        held = lease_ms > 0
        params = {
            "wf": key[0], "run": key[1], "header": header.decode(), "status": status,
            "now": now, "owner": owner, "renew": renew, "holder": owner if held else None,
            "until": now + lease_ms * 1000 if held else None,
        }  # fmt: skip
        cur = await conn.execute(_SAVE_LEASED_RUN, params)
        if cur.rowcount == 0:
            row = await _one(conn, _LEASE_OWNER, key)
            return str(row[0] or "") if row else ""
    if steps:
        async with conn.cursor() as cur:
            await cur.executemany(
                _SAVE_STEP, [(*key, sid, rec.decode()) for sid, rec in steps.items()]
            )
    return None


async def release_lease(conn: Conn, key: tuple[str, str], owner: str) -> bool:
    cur = await conn.execute(
        """UPDATE workflow_snapshots SET lease_owner = NULL, lease_expires = NULL
           WHERE workflow_name = %s AND run_id = %s AND lease_owner = %s""",
        (*key, owner),
    )
    return cur.rowcount > 0


async def _with_steps(conn: Conn, record: WorkflowSnapshot) -> WorkflowSnapshot:
    rows = await _all(
        conn,
        "SELECT step_id, record FROM workflow_steps WHERE workflow_name = %s AND run_id = %s"
        " ORDER BY seq",
        (record.workflow_name, record.run_id),
    )
    if rows:
        context = record.snapshot.setdefault("context", {})
        context.update((sid, orjson.loads(text)) for sid, text in rows)
    return record


async def load_snapshot(conn: Conn, workflow_name: str, run_id: str) -> WorkflowSnapshot | None:
    row = await _one(
        conn, f"{_SNAPSHOT} WHERE workflow_name = %s AND run_id = %s", (workflow_name, run_id)
    )
    return await _with_steps(conn, _snapshot(row)) if row else None


async def list_snapshots(
    conn: Conn, workflow_name: str | None, status: str | None, limit: int, offset: int
) -> list[WorkflowSnapshot]:
    where = ["TRUE"]
    params: list[Any] = []
    if workflow_name is not None:
        where.append("workflow_name = %s")
        params.append(workflow_name)
    if status is not None:
        where.append("status = %s")
        params.append(status)
    rows = await _all(
        conn,
        f"""{_SNAPSHOT} WHERE {" AND ".join(where)}
            ORDER BY updated_at DESC, workflow_name DESC, run_id DESC LIMIT %s OFFSET %s""",
        (*params, limit, offset),
    )
    return [await _with_steps(conn, _snapshot(r)) for r in rows]


async def delete_snapshot(conn: Conn, workflow_name: str, run_id: str) -> bool:
    key = (workflow_name, run_id)
    await conn.execute("DELETE FROM workflow_steps WHERE workflow_name = %s AND run_id = %s", key)
    cur = await conn.execute(
        "DELETE FROM workflow_snapshots WHERE workflow_name = %s AND run_id = %s", key
    )
    return cur.rowcount > 0


# ---- audit log ------------------------------------------------------------------------


async def append_audit(conn: Conn, entry: AuditEntry) -> AuditEntry:
    row = await _one(
        conn,
        """INSERT INTO audit_log (time, principal, action, target, outcome, request_id)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
        (
            to_micros(entry.time),
            entry.principal,
            entry.action,
            entry.target,
            entry.outcome,
            entry.request_id,
        ),
    )
    return replace(entry, id=int(row[0]) if row else 0)


async def list_audit(
    conn: Conn, principal: str | None, limit: int, offset: int
) -> list[AuditEntry]:
    where, params = ("WHERE principal = %s", [principal]) if principal is not None else ("", [])
    rows = await _all(
        conn, f"{_AUDIT} {where} ORDER BY id DESC LIMIT %s OFFSET %s", (*params, limit, offset)
    )
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], from_micros(r[5]), r[6]) for r in rows]
