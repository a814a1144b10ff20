"""The SQL of :class:`~mastra.storage.SQLiteStorage`: blocking functions of a connection.

Each function runs on a worker thread inside a transaction opened by the caller, so it
may read, check and then write without anything changing in between.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson

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

_THREAD = "SELECT id, resource_id, title, metadata, created_at, updated_at FROM threads"
_MESSAGE = "SELECT created_at, seq, id, thread_id, resource_id, role, content FROM messages"
_SNAPSHOT = "SELECT workflow_name, run_id, snapshot, status, updated_at FROM workflow_snapshots"
_AUDIT = "SELECT principal, action, target, outcome, request_id, time, id FROM audit_log"
_Row = tuple[Any, ...]


def _thread(row: _Row) -> Thread:
    return Thread(
        row[0], row[1], row[2], orjson.loads(row[3]), from_micros(row[4]), from_micros(row[5])
    )


def _message(row: _Row) -> Message:
    return Message(row[2], row[3], row[5], orjson.loads(row[6]), row[4], from_micros(row[0]))


def _snapshot(row: _Row) -> WorkflowSnapshot:
    return WorkflowSnapshot(row[0], row[1], orjson.loads(row[2]), row[3], from_micros(row[4]))


# ---- threads -------------------------------------------------------------------------


def insert_thread(conn: sqlite3.Connection, thread: Thread) -> Thread:
    try:
        conn.execute(
            "INSERT INTO threads VALUES (?, ?, ?, ?, ?, ?)",
            (
                thread.id,
                thread.resource_id,
                thread.title,
                dumps(thread.metadata),
                to_micros(thread.created_at),
                to_micros(thread.updated_at),
            ),
        )
    except sqlite3.IntegrityError:
        raise StorageError(f"thread {thread.id!r} already exists", thread_id=thread.id) from None
    return thread


def get_thread(conn: sqlite3.Connection, thread_id: str) -> Thread | None:
    row = conn.execute(f"{_THREAD} WHERE id = ?", (thread_id,)).fetchone()
    return _thread(row) if row else None


def update_thread(
    conn: sqlite3.Connection, thread_id: str, title: str | None, metadata: dict[str, Any] | None
) -> Thread:
    old = get_thread(conn, thread_id)
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
    conn.execute(
        "UPDATE threads SET title = ?, metadata = ?, updated_at = ? WHERE id = ?",
        (new.title, dumps(merged), to_micros(new.updated_at), thread_id),
    )
    return new


def delete_thread(conn: sqlite3.Connection, thread_id: str) -> bool:
    return conn.execute("DELETE FROM threads WHERE id = ?", (thread_id,)).rowcount > 0


def list_threads(conn: sqlite3.Connection, resource_id: str, limit: int, offset: int) -> ThreadPage:
    total = conn.execute(
        "SELECT count(*) FROM threads WHERE resource_id = ?", (resource_id,)
    ).fetchone()[0]
    rows = conn.execute(
        f"{_THREAD} WHERE resource_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        (resource_id, limit, offset),
    ).fetchall()
    return ThreadPage([_thread(r) for r in rows], total, offset + len(rows) < total)


# ---- messages ------------------------------------------------------------------------


def save_messages(conn: sqlite3.Connection, messages: Sequence[Message]) -> list[Message]:
    thread_ids = sorted({m.thread_id for m in messages})
    found = {
        row[0]
        for row in conn.execute(
            "SELECT id FROM threads WHERE id IN (SELECT value FROM json_each(?))",
            (dumps(thread_ids),),
        )
    }
    missing = [t for t in thread_ids if t not in found]
    if missing:
        raise StorageError(f"threads {missing} do not exist", thread_ids=missing)
    rows = [
        (m.id, m.thread_id, m.resource_id, m.role, dumps(m.content), to_micros(m.created_at))
        for m in messages
    ]
    conn.executemany(
        """INSERT INTO messages (id, thread_id, resource_id, role, content, created_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET thread_id = excluded.thread_id,
               resource_id = excluded.resource_id, role = excluded.role,
               content = excluded.content, created_at = excluded.created_at""",
        rows,
    )
    now = to_micros(utcnow())
    conn.executemany("UPDATE threads SET updated_at = ? WHERE id = ?", [(now, t) for t in found])
    return [
        Message(m.id, m.thread_id, m.role, orjson.loads(r[4]), m.resource_id, m.created_at)
        for m, r in zip(messages, rows, strict=True)
    ]


def get_last_messages(conn: sqlite3.Connection, thread_id: str, n: int) -> list[Message]:
    rows = conn.execute(
        f"{_MESSAGE} WHERE thread_id = ? ORDER BY created_at DESC, seq DESC LIMIT ?",
        (thread_id, n),
    ).fetchall()
    return [_message(r) for r in reversed(rows)]


def list_messages(
    conn: sqlite3.Connection,
    thread_id: str,
    limit: int,
    after: tuple[int, int] | None,
    order: SortOrder,
) -> MessagePage:
    direction, compare = ("ASC", ">") if order == "asc" else ("DESC", "<")
    where = "thread_id = ?"
    params: list[Any] = [thread_id]
    if after is not None:
        where += f" AND (created_at, seq) {compare} (?, ?)"
        params += after
    rows = conn.execute(
        f"{_MESSAGE} WHERE {where} ORDER BY created_at {direction}, seq {direction} LIMIT ?",
        (*params, limit + 1),
    ).fetchall()
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1][0], page[-1][1]) if len(rows) > limit else None
    return MessagePage([_message(r) for r in page], next_cursor)


def get_messages(
    conn: sqlite3.Connection, ids: Sequence[str], before: int, after: int
) -> list[Message]:
    chosen: dict[str, _Row] = {}
    anchors = conn.execute(
        f"{_MESSAGE} WHERE id IN (SELECT value FROM json_each(?))", (dumps(list(ids)),)
    ).fetchall()
    for anchor in anchors:
        chosen[anchor[2]] = anchor
        key = (anchor[3], anchor[0], anchor[1])
        for compare, direction, count in (("<", "DESC", before), (">", "ASC", after)):
            if count == 0:
                continue
            rows = conn.execute(
                f"{_MESSAGE} WHERE thread_id = ? AND (created_at, seq) {compare} (?, ?) "
                f"ORDER BY created_at {direction}, seq {direction} LIMIT ?",
                (*key, count),
            )
            chosen.update((row[2], row) for row in rows)
    ordered = sorted(chosen.values(), key=lambda row: (row[0], row[1]))
    return [_message(r) for r in ordered]


def load_context(
    conn: sqlite3.Connection,
    thread_id: str,
    last: int,
    with_thread: bool,
    resource_id: str | None,
    recall: RecallPlan,
) -> ThreadContext:
    """A turn's reads in one snapshot; ``recall`` is (ids, limit, before, after)."""
    ids, limit, before, after = recall
    recent = get_last_messages(conn, thread_id, last) if last > 0 else []
    anchors = recall_anchors(recent, ids, limit)
    return thread_context(
        get_thread(conn, thread_id) if with_thread else None,
        get_resource(conn, resource_id) if resource_id is not None else None,
        recent,
        get_messages(conn, anchors, before, after) if anchors else [],
    )


def delete_messages(conn: sqlite3.Connection, ids: Sequence[str]) -> int:
    return conn.execute(
        "DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))",
        (dumps(list(ids)),),
    ).rowcount


# ---- resources -----------------------------------------------------------------------


def get_resource(conn: sqlite3.Connection, resource_id: str) -> Resource | None:
    row = conn.execute(
        "SELECT id, working_memory, metadata, created_at, updated_at FROM resources WHERE id = ?",
        (resource_id,),
    ).fetchone()
    if row is None:
        return None
    memory = None if row[1] is None else orjson.loads(row[1])
    return Resource(row[0], memory, orjson.loads(row[2]), from_micros(row[3]), from_micros(row[4]))


def update_resource(
    conn: sqlite3.Connection,
    resource_id: str,
    working_memory: str | dict[str, Any] | None,
    metadata: dict[str, Any] | None,
) -> Resource:
    now = utcnow()
    old = get_resource(conn, resource_id) or Resource(resource_id, None, {}, now, now)
    memory = old.working_memory if working_memory is None else working_memory
    merged = {**old.metadata, **orjson.loads(dumps(metadata or {}))}
    conn.execute(
        """INSERT INTO resources VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET working_memory = excluded.working_memory,
               metadata = excluded.metadata, updated_at = excluded.updated_at""",
        (
            resource_id,
            None if memory is None else dumps(memory),
            dumps(merged),
            to_micros(old.created_at),
            to_micros(now),
        ),
    )
    return get_resource(conn, resource_id) or old


# ---- workflow snapshots --------------------------------------------------------------


def save_snapshot(conn: sqlite3.Connection, record: WorkflowSnapshot) -> WorkflowSnapshot:
    text = dumps(record.snapshot)
    key = (record.workflow_name, record.run_id)
    conn.execute(
        """INSERT INTO workflow_snapshots (workflow_name, run_id, snapshot, status, updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (workflow_name, run_id) DO UPDATE SET snapshot = excluded.snapshot,
               status = excluded.status, updated_at = excluded.updated_at""",
        (*key, text, record.status, to_micros(record.updated_at)),
    )
    conn.execute("DELETE FROM workflow_steps WHERE workflow_name = ? AND run_id = ?", key)
    return WorkflowSnapshot(
        record.workflow_name, record.run_id, orjson.loads(text), record.status, record.updated_at
    )


_SAVE_RUN = """INSERT INTO workflow_snapshots (workflow_name, run_id, snapshot, status, updated_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (workflow_name, run_id) DO UPDATE SET snapshot = excluded.snapshot,
        status = excluded.status, updated_at = excluded.updated_at"""

# The lease is taken (or renewed, or released) by the write itself: a row leased to
# another owner until later than now is left alone, and no row changes; a renewal
# also leaves alone a row whose lease is no longer the owner's.
_SAVE_LEASED_RUN = """INSERT INTO workflow_snapshots
        (workflow_name, run_id, snapshot, status, updated_at, lease_owner, lease_expires)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT (workflow_name, run_id) DO UPDATE SET snapshot = excluded.snapshot,
        status = excluded.status, updated_at = excluded.updated_at,
        lease_owner = excluded.lease_owner, lease_expires = excluded.lease_expires
    WHERE workflow_snapshots.lease_owner = ?8 OR (NOT ?9 AND (
        workflow_snapshots.lease_owner IS NULL OR workflow_snapshots.lease_expires <= ?5))"""

_SAVE_STEP = """INSERT INTO workflow_steps (workflow_name, run_id, step_id, record)
    VALUES (?, ?, ?, ?)
    ON CONFLICT (workflow_name, run_id, step_id) DO UPDATE SET record = excluded.record"""


def save_run(
    conn: sqlite3.Connection,
    key: tuple[str, str],
    header: bytes,
    steps: Mapping[str, bytes],
    status: str,
    lease: tuple[str, int, bool] | None,
) -> str | None:
    now = to_micros(utcnow())
    if lease is None:
        conn.execute(_SAVE_RUN, (*key, header.decode(), status, now))
    else:
        owner, lease_ms, renew = lease
        held = (owner, now + lease_ms * 1000) if lease_ms > 0 else (None, None)
        params = (*key, header.decode(), status, now, *held, owner, renew)
        cursor = conn.execute(_SAVE_LEASED_RUN, params)
        if cursor.rowcount == 0:
            row = conn.execute(
                "SELECT lease_owner FROM workflow_snapshots WHERE workflow_name = ? AND run_id = ?",
                key,
            ).fetchone()
            return str(row[0] or "")
    if steps:
        conn.executemany(_SAVE_STEP, [(*key, sid, rec.decode()) for sid, rec in steps.items()])
    return None


def release_lease(conn: sqlite3.Connection, key: tuple[str, str], owner: str) -> bool:
    cursor = conn.execute(
        """UPDATE workflow_snapshots SET lease_owner = NULL, lease_expires = NULL
           WHERE workflow_name = ? AND run_id = ? AND lease_owner = ?""",
        (*key, owner),
    )
    return cursor.rowcount > 0


def _with_steps(conn: sqlite3.Connection, record: WorkflowSnapshot) -> WorkflowSnapshot:
    rows = conn.execute(
        "SELECT step_id, record FROM workflow_steps WHERE workflow_name = ? AND run_id = ?"
        " ORDER BY rowid",
        (record.workflow_name, record.run_id),
    ).fetchall()
    if rows:
        context = record.snapshot.setdefault("context", {})
        context.update((sid, orjson.loads(text)) for sid, text in rows)
    return record


def load_snapshot(
    conn: sqlite3.Connection, workflow_name: str, run_id: str
) -> WorkflowSnapshot | None:
    row = conn.execute(
        f"{_SNAPSHOT} WHERE workflow_name = ? AND run_id = ?", (workflow_name, run_id)
    ).fetchone()
    return _with_steps(conn, _snapshot(row)) if row else None


def list_snapshots(
    conn: sqlite3.Connection,
    workflow_name: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[WorkflowSnapshot]:
    rows = conn.execute(
        f"""{_SNAPSHOT} WHERE (?1 IS NULL OR workflow_name = ?1) AND (?2 IS NULL OR status = ?2)
            ORDER BY updated_at DESC, workflow_name DESC, run_id DESC LIMIT ?3 OFFSET ?4""",
        (workflow_name, status, limit, offset),
    ).fetchall()
    return [_with_steps(conn, _snapshot(r)) for r in rows]


def delete_snapshot(conn: sqlite3.Connection, workflow_name: str, run_id: str) -> bool:
    key = (workflow_name, run_id)
    conn.execute("DELETE FROM workflow_steps WHERE workflow_name = ? AND run_id = ?", key)
    cursor = conn.execute(
        "DELETE FROM workflow_snapshots WHERE workflow_name = ? AND run_id = ?", key
    )
    return cursor.rowcount > 0


# ---- audit log ------------------------------------------------------------------------


def append_audit(conn: sqlite3.Connection, entry: AuditEntry) -> AuditEntry:
    cursor = conn.execute(
        """INSERT INTO audit_log (time, principal, action, target, outcome, request_id)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (
            to_micros(entry.time),
            entry.principal,
            entry.action,
            entry.target,
            entry.outcome,
            entry.request_id,
        ),
    )
    return replace(entry, id=int(cursor.lastrowid or 0))


def list_audit(
    conn: sqlite3.Connection, principal: str | None, limit: int, offset: int
) -> list[AuditEntry]:
    rows = conn.execute(
        f"""{_AUDIT} WHERE (?1 IS NULL OR principal = ?1) ORDER BY id DESC LIMIT ?2 OFFSET ?3""",
        (principal, limit, offset),
    ).fetchall()
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], from_micros(r[5]), r[6]) for r in rows]
