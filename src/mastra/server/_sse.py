"""The agent stream as Server-Sent Events, cancelled when the client goes away.

One ``data: <chunk JSON>`` event per chunk of the agent's stream, then
``data: [DONE]``, each written with the compiled :func:`~mastra.streaming.encode_sse`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mastra.agent import AgentStream, Chunk
from mastra.server._metrics import ServerMetrics
from mastra.server._state import Lifecycle
from mastra.streaming import encode_sse

__all__ = ["DONE", "AgentEventStream", "encode_chunk"]

DONE = encode_sse("[DONE]")
_SHUTDOWN = "the server is shutting down"
_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def encode_chunk(chunk: dict[str, Any]) -> bytes:
    """One chunk as an SSE event (its JSON on one ``data:`` line)."""
    return encode_sse(orjson.dumps(chunk).decode())


class AgentEventStream(Response):
    """Streams an agent run as SSE until it ends, the client disconnects (the run is
    cancelled: model request closed, tools cancelled) or the drain times out (the
    stream ends with an ``error`` chunk).

    Args:
        stream: The agent's stream (not yet iterated).
        lifecycle: The server's shutdown state.
        metrics: The server's metrics.
        on_end: Called with the outcome: the run's result, ``"cancelled"``,
            ``"aborted"`` or the error that ended it.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        stream: AgentStream,
        lifecycle: Lifecycle,
        metrics: ServerMetrics,
        on_end: Callable[[object], None],
    ) -> None:
        # No super().__init__: it would set a Content-Length for an empty body.
        self.status_code = 200
        self.background = None
        self.raw_headers = list(_HEADERS)
        self._stream = stream
        self._lifecycle = lifecycle
        self._metrics = metrics
        self._on_end = on_end

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

    async def _race(self, receive: Receive, send: Send) -> str:
        pump = asyncio.ensure_future(self._pump(send))
        gone = asyncio.ensure_future(_wait_disconnect(receive))
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

    async def _pump(self, send: Send) -> None:
        try:
            async for chunk in self._stream:
                await self._send(send, encode_chunk(chunk.to_dict()))
        except Exception as exc:  # the stream already carried its error chunk
            self._on_end(exc)
            return
        self._on_end(await self._stream.result())

    @staticmethod
    async def _send(send: Send, body: bytes) -> None:
        await send({"type": "http.response.body", "body": body, "more_body": True})

    def _abort_chunk(self) -> dict[str, Any]:
        chunk = Chunk("error", self._stream.run_id, {"error": _SHUTDOWN, "code": "shutdown"})
        return chunk.to_dict()


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
