"""Helpers shared by the SSE tests: feeding the compiled parser in chunks."""

from __future__ import annotations

from collections.abc import Sequence

from mastra.streaming import SSEParser

from .reference import RefEvent, RefResult


def cut(stream: bytes, cuts: Sequence[int]) -> list[bytes]:
    """Splits stream at the given offsets (clamped, sorted, duplicates allowed)."""
    points = sorted(min(max(c, 0), len(stream)) for c in cuts)
    chunks = []
    start = 0
    for point in [*points, len(stream)]:
        chunks.append(stream[start:point])
        start = point
    return chunks


def parse_chunks(chunks: Sequence[bytes]) -> RefResult:
    """Runs the compiled parser over chunks and returns its output in the reference's form."""
    parser = SSEParser()
    result = RefResult()
    for chunk in chunks:
        for event in parser.feed(chunk):
            result.events.append(RefEvent(event.event, event.data, event.id, event.retry))
    result.last_event_id = parser.last_event_id
    result.retry = parser.retry
    parser.close()
    return result
