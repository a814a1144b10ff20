"""The byte-iterator drivers and the encoder around the compiled SSE parser."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

from mastra import _core
from mastra._core import SSEEvent, SSEParser
from mastra.errors import StreamError

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "aiter_sse", "encode_sse", "iter_sse"]

DEFAULT_MAX_EVENT_SIZE = 8 * 1024 * 1024
"""The default limit on the bytes of one event (8 MiB)."""


def _checked_limit(max_event_size: int | None) -> int | None:
    if max_event_size is not None and max_event_size <= 0:
        raise StreamError(
            f"max_event_size must be a positive number of bytes or None, got {max_event_size}",
            max_event_size=max_event_size,
        )
    return max_event_size


def iter_sse(
    byte_stream: Iterable[bytes], *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
) -> Iterator[SSEEvent]:
    """Yields the events of an event stream read from an iterator of byte chunks.

    Args:
        byte_stream: The stream's bytes in chunks of any size, cut anywhere
            (for example ``httpx.Response.iter_bytes()``).
        max_event_size: The most bytes one event may hold; ``None`` for no limit.

    Yields:
        Each event as it completes. An event the stream leaves unterminated at its
        end is discarded, as the WHATWG rules require.

    Raises:
        StreamError: An event grew beyond ``max_event_size``.

    Example:
        >>> chunks = [b"data: a\\n", b"\\ndata: b\\n\\n"]
        >>> [event.data for event in iter_sse(chunks)]
        ['a', 'b']
    """
    parser = SSEParser(max_event_size=_checked_limit(max_event_size))
    try:
        for chunk in byte_stream:
            yield from parser.feed(chunk)
    finally:
        parser.close()


async def aiter_sse(
    byte_stream: AsyncIterable[bytes], *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
) -> AsyncIterator[SSEEvent]:
    """Yields the events of an event stream read from an async iterator of byte chunks.

    Args:
        byte_stream: The stream's bytes in chunks of any size, cut anywhere
            (for example ``httpx.Response.aiter_bytes()``).
        max_event_size: The most bytes one event may hold; ``None`` for no limit.

    Yields:
        Each event as it completes; an unterminated event at the end is discarded.

    Raises:
        StreamError: An event grew beyond ``max_event_size``.

    Example:
        >>> async def read(response):
        ...     async for event in aiter_sse(response.aiter_bytes()):
        ...         print(event.event, event.json())
    """
    parser = SSEParser(max_event_size=_checked_limit(max_event_size))
    try:
        async for chunk in byte_stream:
            for event in parser.feed(chunk):
                yield event
    finally:
        parser.close()


def encode_sse(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """Encodes one event in the event-stream format, for a server to send.

    Data is split at CRLF, LF and CR into one ``data:`` line each, so the receiver's
    parser gives back ``data`` with its line breaks normalised to ``"\\n"``.

    Args:
        data: The event's data (may span several lines).
        event: The event type; ``None`` leaves the receiver's default ``"message"``.
        id: The event id (``""`` resets the receiver's last event id).
        retry: The reconnection time in milliseconds, a non-negative int.
        comment: A comment sent before the fields (several lines allowed).

    Returns:
        The UTF-8 bytes of the event, ending with the blank line that dispatches it.

    Raises:
        StreamError: ``event`` or ``id`` contains CR or LF, ``id`` contains NUL,
            or ``retry`` is negative.

    Example:
        >>> encode_sse("hi", event="token", id="7")
        b'event: token\\nid: 7\\ndata: hi\\n\\n'
    """
    return _core.encode_sse(data, event=event, id=id, retry=retry, comment=comment)
