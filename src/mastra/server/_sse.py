"""Agent and workflow streams as Server-Sent Events, cancelled when the client goes away.

One ``data: <chunk JSON>`` event per chunk of the stream, then ``data: [DONE]``, each
written with the compiled :func:`~mastra.streaming.encode_sse`. A workflow stream is
sent as Mastra's record stream instead (each event's JSON then ``\\x1e``, what
``@mastra/client-js`` reads) unless the client accepts ``text/event-stream``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mastra.agent import AgentStream, Chunk
from mastra.server._metrics import ServerMetrics
from mastra.server._redact import StreamRedactor
from mastra.server._routing import wait_disconnect
from mastra.server._state import Lifecycle
from mastra.streaming import encode_sse
from mastra.workflows import WorkflowStream

__all__ = ["DONE", "AgentEventStream", "WorkflowEventStream", "encode_chunk", "encode_record"]

DONE = encode_sse("[DONE]")
_SHUTDOWN = "the server is shutting down"
_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


_RECORD_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
_RECORD_SEPARATOR = b"\x1e"


def encode_chunk(chunk: dict[str, Any]) -> bytes:
    """One chunk as an SSE event (its JSON on one ``data:`` line)."""
    return encode_sse(orjson.dumps(chunk).decode())


def encode_record(chunk: dict[str, Any]) -> bytes:
    """One chunk as a record of Mastra's record stream (its JSON, then ``\\x1e``)."""
    return orjson.dumps(chunk) + _RECORD_SEPARATOR


class _EventStream(Response):
    """What the agent and workflow streams share: racing the pump against the
    client's disconnect and the drain's abort."""

    _lifecycle: Lifecycle

    async def _pump(self, send: Send) -> None:
        raise NotImplementedError

    async def _race(self, receive: Receive, send: Send) -> str:
        pump = asyncio.ensure_future(self._pump(send))
        gone = asyncio.ensure_future(wait_disconnect(receive))
        abort = asyncio.ensure_future(self._lifecycle.aborted.wait())
        try:
            done, _ = await asyncio.wait({pump, gone, abort}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, gone, abort):
                task.cancel()
            await asyncio.gather(pump, gone, abort, return_exceptions=True)
        if pump in done and not pump.cancelled():
            return "done"
        return "cancelled" if gone in done else "aborted"

    @staticmethod
    async def _send(send: Send, body: bytes) -> None:
        await send({"type": "http.response.body", "body": body, "more_body": True})


class AgentEventStream(_EventStream):
    """Streams an agent run as SSE until it ends, the client disconnects (the run is
    cancelled: model request closed, tools cancelled) or the drain times out (the
    stream ends with an ``error`` chunk).

    Args:
        stream: The agent's stream (not yet iterated).
        lifecycle: The server's shutdown state.
        metrics: The server's metrics.
        on_end: Called with the outcome: the run's result, ``"cancelled"``,
            ``"aborted"`` or the error that ended it.
        redactor: Redacts each chunk (``None``: sent as it is).
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        stream: AgentStream,
        lifecycle: Lifecycle,
        metrics: ServerMetrics,
        on_end: Callable[[object], None],
        redactor: StreamRedactor | None = None,
    ) -> None:
        # No super().__init__: it would set a Content-Length for an empty body.
        self.status_code = 200
        self.background = None
        self.raw_headers = list(_HEADERS)
        self._stream = stream
        self._lifecycle = lifecycle
        self._metrics = metrics
        self._on_end = on_end
        self._encode = redactor.encode if redactor is not None else encode_chunk

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        self._metrics.streams_open.inc()
        try:
            async with self._stream:
                outcome = await self._race(receive, send)
        finally:
            self._metrics.streams_open.dec()
        if outcome == "cancelled":
            self._on_end("cancelled")
            return
        if outcome == "aborted":
            self._on_end("aborted")
            await self._send(send, encode_chunk(self._abort_chunk()))
        await send({"type": "http.response.body", "body": DONE, "more_body": False})

    async def _pump(self, send: Send) -> None:
        try:
            encode = self._encode
            async for chunk in self._stream:
                await self._send(send, encode(chunk.to_dict()))
        except Exception as exc:  # the stream already carried its error chunk
            self._on_end(exc)
            return
        self._on_end(await self._stream.result())

    def _abort_chunk(self) -> dict[str, Any]:
        chunk = Chunk("error", self._stream.run_id, {"error": _SHUTDOWN, "code": "shutdown"})
        return chunk.to_dict()


class WorkflowEventStream(_EventStream):
    """Streams a workflow run's events until the run ends or pauses, the client
    disconnects (the run is canceled) or the drain times out (the run is canceled and
    the stream ends with an ``error`` chunk).

    Args:
        stream: The run's event stream (its run already started).
        run_id: The run's id.
        cancel: Cancels the run.
        lifecycle: The server's shutdown state.
        metrics: The server's metrics.
        sse: Server-Sent Events (``data: [DONE]`` last) rather than Mastra's records.
        on_end: Called once the response is over, whatever happened.
        redactor: Redacts each event (``None``: sent as it is).
    """

    def __init__(
        self,
        stream: WorkflowStream,
        run_id: str,
        cancel: Callable[[], Awaitable[None]],
        lifecycle: Lifecycle,
        metrics: ServerMetrics,
        *,
        sse: bool,
        on_end: Callable[[], None],
        redactor: StreamRedactor | None = None,
    ) -> None:
        # No super().__init__: it would set a Content-Length for an empty body.
        self.status_code = 200
        self.background = None
        self.raw_headers = list(_HEADERS if sse else _RECORD_HEADERS)
        self._stream = stream
        self._run_id = run_id
        self._cancel = cancel
        self._lifecycle = lifecycle
        self._metrics = metrics
        if redactor is not None:
            self._encode = redactor.encode if sse else redactor.encode_record
        else:
            self._encode = encode_chunk if sse else encode_record
        self._sse = sse
        self._on_end = on_end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        self._metrics.streams_open.inc()
        try:
            outcome = await self._race(receive, send)
            if outcome != "done":
                await self._cancel()
        finally:
            self._metrics.streams_open.dec()
            self._on_end()
        if outcome == "cancelled":
            return
        if outcome == "aborted":
            await self._send(send, self._encode(self._error(_SHUTDOWN, "shutdown")))
        end = DONE if self._sse else b""
        await send({"type": "http.response.body", "body": end, "more_body": False})

    async def _pump(self, send: Send) -> None:
        async for event in self._stream:
            await self._send(send, self._encode(event))
        try:
            await self._stream.result()
        except Exception as exc:  # the run failed before its first step (bad resume...)
            message = getattr(exc, "message", None) or str(exc)
            code = getattr(exc, "code", "error")
            await self._send(send, self._encode(self._error(message, code)))

    def _error(self, message: str, code: str) -> dict[str, Any]:
        payload = {"error": message, "code": code}
        return {"type": "error", "runId": self._run_id, "from": "WORKFLOW", "payload": payload}
